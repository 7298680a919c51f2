/**
 * Bounded polling for the real-server tests: every wait has a deadline, and a timeout
 * says what was awaited.
 */

/** Resolves with the first value `check` returns (not undefined/false); rejects after `ms`. */
export async function pollFor<T>(
  what: string,
  ms: number,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  every = 100,
  context: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, every));
  }
  const extra = context();
  throw new Error(`timed out after ${ms} ms waiting for ${what}${lastError ? `: ${lastError}` : ''}${extra ? `\n${extra}` : ''}`);
}

/** Waits until `condition` holds and returns how many milliseconds that took. */
export async function waitUntil(what: string, ms: number, condition: () => Promise<boolean> | boolean, every = 100): Promise<number> {
  const start = Date.now();
  await pollFor(what, ms, async () => (await condition()) || undefined, every);
  return Date.now() - start;
}
