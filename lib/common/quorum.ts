import { SettingError } from './errors';

/** Votes that make a majority of `members`. */
export function majority(members: number): number {
  return Math.floor(members / 2) + 1;
}

/**
 * Checks the member count of a quorum system (Redis Sentinel, ZooKeeper). An even count
 * tolerates no more failures than the odd count below it and risks a tie, and fewer than
 * 3 members cannot survive losing one, which is the point of running a set.
 */
export function checkQuorumMembers(setting: string, members: number): void {
  if (!Number.isInteger(members) || members < 3 || members % 2 === 0) {
    throw new SettingError(setting, `${JSON.stringify(members)} members: a quorum system needs an odd number of at least 3`, 'set it to 3, 5 or 7');
  }
}
