import { createHash } from 'crypto';

/**
 * A stable short hash of named file contents, for `checksum/config` pod annotations: a
 * changed file changes the pod template and rolls the pods.
 */
export function contentHash(files: Readonly<Record<string, string>>): string {
  const digest = createHash('sha256');
  for (const name of Object.keys(files).sort()) digest.update(`${name}\0${files[name]}\0`);
  return digest.digest('hex').slice(0, 16);
}
