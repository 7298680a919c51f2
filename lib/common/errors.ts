/**
 * The one error type for invalid settings. Synth stops on it before any object is built,
 * and its message always names the setting and says how to fix it.
 */
export class SettingError extends Error {
  /**
   * @param setting dotted path of the offending setting, e.g. `st2.actionRunner.replicas`
   * @param problem what is wrong with the value given
   * @param fix what the user should do instead
   */
  constructor(
    public readonly setting: string,
    public readonly problem: string,
    public readonly fix: string,
  ) {
    super(`${setting}: ${problem}. Fix: ${fix}`);
    this.name = 'SettingError';
  }
}

/** Throws a SettingError unless `condition` holds. */
export function check(condition: boolean, setting: string, problem: string, fix: string): asserts condition {
  if (!condition) throw new SettingError(setting, problem, fix);
}

export function requireInteger(value: number, setting: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new SettingError(setting, `got ${JSON.stringify(value)}`, `set it to ${range}`);
  }
}
