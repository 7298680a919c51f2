import { ChildProcess, spawn, SpawnOptions } from 'child_process';

/**
 * Server processes the real-server tests start. Whatever a test does, every one of them is
 * ended when its file finishes (or the process exits): a failed assertion before a test's
 * own clean-up must not leave a server or a client (a `psql`) running, which kept jest
 * alive until CI's time limit.
 */
const running = new Set<ChildProcess>();

/** `spawn`, remembered until the child exits. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, options);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** SIGKILLs every tracked child still running; returns how many there were. */
export function killAll(): number {
  const left = [...running];
  for (const child of left) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  return left.length;
}

process.once('exit', killAll);
// Registered once per test file that imports this module, after the file's own hooks.
if (typeof afterAll === 'function') afterAll(() => { killAll(); });
