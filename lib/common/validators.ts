import { check } from './errors';

/**
 * A network as address/prefix: IPv4 with a prefix of 0-32, or IPv6 (hex and colons) with
 * 0-128. What NetworkPolicy ipBlocks and pg_hba.conf both accept.
 */
const CIDR = /^(([0-9]{1,3}\.){3}[0-9]{1,3}\/([0-9]|[12][0-9]|3[0-2])|[0-9a-fA-F:]+\/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$/;

/** Throws a SettingError unless the list names at least one network and every entry is an IPv4 or IPv6 CIDR. */
export function checkCidrs(
  cidrs: readonly string[],
  setting: string,
  whenEmpty = 'list at least one CIDR such as 10.0.0.0/8, or leave the setting out for the default',
): void {
  check(cidrs.length > 0, setting, 'no network given', whenEmpty);
  cidrs.forEach((cidr, index) =>
    check(CIDR.test(cidr), `${setting}[${index}]`, `${JSON.stringify(cidr)} is not a CIDR`, 'write a network as address/prefix, e.g. 10.0.0.0/8 or fd00::/8'),
  );
}

/** Units a volume size may use, smallest first. */
export type StorageUnit = 'Mi' | 'Gi' | 'Ti';

/**
 * Checks a volume size: a whole number with a binary unit (no decimals, no exponent, no
 * plain bytes: a claim is sized in Mi at least), from `units` (some volumes make no sense
 * below a GiB).
 */
export function checkStorageSize(size: string, setting: string, example: string, units: readonly StorageUnit[] = ['Mi', 'Gi', 'Ti']): void {
  const match = /^[1-9][0-9]*(Mi|Gi|Ti)$/.exec(size);
  check(
    match !== null && units.includes(match[1] as StorageUnit),
    setting,
    `${JSON.stringify(size)} is not a volume size`,
    `write a whole number with ${units.join(', ').replace(/, (\w+)$/, ' or $1')}, e.g. ${example}`,
  );
}
