import { spawnSync } from 'child_process';
import { killAll, spawnTracked } from '../support/children';

test('the real-server stage ends every child it started, whether or not the test cleaned up', async () => {
  const child = spawnTracked('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise<string | null>((resolve) => child.once('exit', (_, signal) => resolve(signal)));
  expect(killAll()).toBe(1);
  expect(await exited).toBe('SIGKILL');
  expect(killAll()).toBe(0);
});

test('the stage has its own time bound', () => {
  const run = spawnSync('bash', ['-c', 'grep -E "^exec timeout --kill-after=[0-9]+ [0-9]+ " __tests__/servers/run.sh'], { encoding: 'utf8' });
  expect(run.status).toBe(0);
});
