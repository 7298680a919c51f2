import * as fs from 'fs';
import { spawnSync } from 'child_process';
import { killAll, spawnTracked } from '../support/children';

test('the real-server stage ends every child it started, whether or not the test cleaned up', async () => {
  const child = spawnTracked('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise<string | null>((resolve) => child.once('exit', (_, signal) => resolve(signal)));
  expect(killAll()).toBe(1);
  expect(await exited).toBe('SIGKILL');
  expect(killAll()).toBe(0);
});

test("a child's own children go too (a server master's workers)", async () => {
  const parent = spawnTracked('sh', ['-c', 'sleep 60 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const grandchild = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (data: Buffer) => resolve(data.toString().trim()))));
  killAll();
  await new Promise((resolve) => parent.once('exit', resolve));
  // Killed but not yet reaped (its parent is gone, so whoever adopts it reaps it, maybe late)
  // is a zombie: state Z in /proc. Anything else means it still runs.
  const alive = () => {
    try {
      return fs.readFileSync(`/proc/${grandchild}/stat`, 'utf8').replace(/^.*\) /, '')[0] !== 'Z';
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && alive(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(alive()).toBe(false);
});

test('the stage has its own time bound', () => {
  const run = spawnSync('bash', ['-c', 'grep -E "^exec timeout --kill-after=[0-9]+ [0-9]+ " __tests__/servers/run.sh'], { encoding: 'utf8' });
  expect(run.status).toBe(0);
});
