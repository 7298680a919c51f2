import { SettingError } from './errors';

/** Votes that make a majority of `members`. */
export function majority(members: number): number {
  return Math.floor(members / 2) + 1;
}

/**
 * The one member-count rule of every set that decides by majority (MongoDB's replica set,
 * RabbitMQ under pause_minority, Redis Sentinel, ZooKeeper): fewer than 3 cannot lose a
 * member and keep a majority, and an even count tolerates no more failures than the odd
 * count below it while risking a tie. `system` names the set in the message, e.g.
 * "a replica set".
 */
export function checkQuorumMembers(setting: string, members: number, system: string): void {
  if (!Number.isInteger(members)) {
    throw new SettingError(setting, `got ${members}: ${system} counts whole members`, 'set it to an odd number of at least 3: 3, 5 or 7');
  }
  if (members < 3) {
    throw new SettingError(
      setting,
      `got ${members}: ${system} of fewer than 3 members loses its majority with the first member it loses`,
      'set it to 3, 5 or 7',
    );
  }
  if (members % 2 === 0) {
    throw new SettingError(
      setting,
      `got ${members}: ${system} of an even number of members tolerates no more failures than ${members - 1} and risks a tie`,
      `set it to ${members - 1} or ${members + 1}`,
    );
  }
}
