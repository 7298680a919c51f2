import { ChildProcess, spawn, SpawnOptions, spawnSync } from 'child_process';

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

/**
 * SIGKILLs every tracked child still running, and its own children first (nginx's workers
 * would otherwise outlive their master and keep its port); returns how many there were.
 */
export function killAll(): number {
  const left = [...running];
  for (const child of left) {
    if (child.pid !== undefined) spawnSync('pkill', ['-KILL', '-P', String(child.pid)]);
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  return left.length;
}

/**
 * Ends what is left once the file's own clean-up has run: call it after the file's own
 * `afterAll` (jest runs root hooks in the order they are declared, so a graceful stop
 * there still comes first).
 */
export function endTrackedChildren(): void {
  afterAll(() => {
    killAll();
  });
}

process.once('exit', killAll);
