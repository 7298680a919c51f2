import * as fs from 'fs';
import * as path from 'path';

const cache = new Map<string, string>();

/**
 * The text of a file we ship beside the sources (a script run inside a pod), by its path
 * from the project root, e.g. `lib/st2/scripts/prepare.py`. Scripts are real files so they
 * can be linted, run and tested as what they are. The synth runs as one bundle without
 * `__dirname` (tools/register.js), so the root is found from the working directory
 * upwards: `npm run synth`, `cdk8s synth` and jest all run in the project root. In an app
 * that installed this package they are found inside it.
 */
export function shippedFile(relative: string): string {
  const known = cache.get(relative);
  if (known !== undefined) return known;
  const found = fromWorkingDirectory(relative) ?? fromInstalledPackage(relative);
  if (!found) throw new Error(`${relative} not found from ${process.cwd()} upwards, nor in an installed ${PACKAGE}: run the synth from the project root`);
  const text = fs.readFileSync(found, 'utf8');
  cache.set(relative, text);
  return text;
}

/** The package name, as another app installs it. */
const PACKAGE = 'stackstorm-ha-cdk8s';

function fromWorkingDirectory(relative: string): string | undefined {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, relative);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** In an app that installed the package, the scripts ship inside it (package.json `files`). */
function fromInstalledPackage(relative: string): string | undefined {
  try {
    const candidate = path.join(path.dirname(require.resolve(`${PACKAGE}/package.json`, { paths: [process.cwd()] })), relative);
    return fs.existsSync(candidate) ? candidate : undefined;
  } catch {
    return undefined;
  }
}
