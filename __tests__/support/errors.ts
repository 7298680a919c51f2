import { SettingError } from '../../lib';

/** Runs `build` and returns the SettingError it throws; fails the test when it throws none. */
export function settingErrorOf(build: () => unknown): SettingError {
  try {
    build();
  } catch (error) {
    if (error instanceof SettingError) return error;
    throw error;
  }
  throw new Error('expected a SettingError, but the build succeeded');
}

/** Expects `build` to fail on `setting` with a message matching `message`. */
export function expectSettingError(build: () => unknown, setting: string, message: RegExp | string): void {
  const error = settingErrorOf(build);
  expect(error.setting).toBe(setting);
  if (typeof message === 'string') expect(error.message).toContain(message);
  else expect(error.message).toMatch(message);
}
