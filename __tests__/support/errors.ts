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

/** The message of the shared member-count rule (lib/common/quorum.ts) for `members` of `system`. */
export function quorumMessage(setting: string, members: number, system: string): string {
  if (!Number.isInteger(members)) return `${setting}: got ${members}: ${system} counts whole members. Fix: set it to an odd number of at least 3: 3, 5 or 7`;
  if (members < 3)
    return `${setting}: got ${members}: ${system} of fewer than 3 members loses its majority with the first member it loses. Fix: set it to 3, 5 or 7`;
  return `${setting}: got ${members}: ${system} of an even number of members tolerates no more failures than ${members - 1} and risks a tie. Fix: set it to ${members - 1} or ${members + 1}`;
}
