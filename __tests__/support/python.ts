import { spawnSync } from 'child_process';

/** A Python that prepare.py must run on: st2 3.x images ship Python 3, the 2.x images 2.7. */
export interface Interpreter {
  readonly name: string;
  /** The executable itself, not a pyenv shim (a shim costs a shell per run). */
  readonly executable: string;
}

function resolve(command: string, version: number, env: NodeJS.ProcessEnv): string | undefined {
  const found = spawnSync(command, ['-c', `import sys; assert sys.version_info[0] == ${version}; print(sys.executable)`], { env, encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/**
 * Python 3 (required: a missing one fails the test file instead of skipping what every st2
 * 3.x pod runs), and Python 2.7 where pyenv has it (see the machine notes).
 */
export function interpreters(): { found: Interpreter[]; missing: string[] } {
  const python3 = resolve('python3', 3, process.env);
  if (!python3) throw new Error('python3 is required to test prepare.py (st2 3.x images run it): install it (apt-get install -y python3)');
  const found: Interpreter[] = [{ name: 'python3', executable: python3 }];
  const missing: string[] = [];
  const python2 = resolve('python2', 2, { ...process.env, PYENV_VERSION: '2.7.18' });
  if (python2) found.push({ name: 'python2.7', executable: python2 });
  else missing.push('python2.7');
  return { found, missing };
}
