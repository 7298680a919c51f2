import * as fs from 'fs';
import * as path from 'path';

/** The package name, as another app installs it. */
const PACKAGE = 'stackstorm-ha-cdk8s';

let root: string | undefined;

/**
 * The folder holding this package's package.json: the project root in a checkout (sources
 * run by jest, `build/` output, the synth bundle in `build/app/`), or the installed package
 * inside another app's node_modules. Found from this file's own folder upwards, so it does not
 * depend on the working directory.
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === PACKAGE) return (root = dir);
    if (path.dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE} above ${__dirname}: the package is installed incompletely`);
  }
}

const cache = new Map<string, string>();

/**
 * The text of a file we ship beside the sources (a script run inside a pod), by its path
 * from the package root, e.g. `lib/common/scripts/prepare.py`. Scripts are real files so they
 * can be linted, run and tested as what they are; package.json `files` ships them.
 */
export function shippedFile(relative: string): string {
  const known = cache.get(relative);
  if (known !== undefined) return known;
  const file = path.join(packageRoot(), relative);
  if (!fs.existsSync(file)) throw new Error(`${relative} is missing from ${packageRoot()}: the package is installed incompletely`);
  const text = fs.readFileSync(file, 'utf8');
  cache.set(relative, text);
  return text;
}
