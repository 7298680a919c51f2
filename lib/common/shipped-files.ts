import * as fs from 'fs';
import * as path from 'path';

const cache = new Map<string, string>();

/**
 * The text of a file we ship beside the sources (a script run inside a pod), by its path
 * from the project root, e.g. `lib/st2/scripts/prepare.py`. Scripts are real files so they
 * can be linted, run and tested as what they are. The synth runs as one bundle without
 * `__dirname` (tools/register.js), so the root is found from the working directory
 * upwards: `npm run synth`, `cdk8s synth` and jest all run in the project root.
 */
export function shippedFile(relative: string): string {
  const known = cache.get(relative);
  if (known !== undefined) return known;
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, relative);
    if (fs.existsSync(candidate)) {
      const text = fs.readFileSync(candidate, 'utf8');
      cache.set(relative, text);
      return text;
    }
    if (path.dirname(dir) === dir) throw new Error(`${relative} not found from ${process.cwd()} upwards: run the synth from the project root`);
  }
}
