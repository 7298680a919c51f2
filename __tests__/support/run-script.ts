import { spawnSync, SpawnSyncReturns } from 'child_process';
import { buildSync } from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const bundles = path.join(root, 'node_modules', '.cache', 'test-scripts');

/**
 * Runs one of our TypeScript command-line scripts (`scripts/report.ts`) as its own Node
 * process, built from the current sources (build/ may be stale while a test runs): esbuild
 * bundles it, packages left to Node, into node_modules/.cache inside the project, so the
 * script finds the package root from its own folder as the compiled one does.
 */
export function runScript(script: string, args: readonly string[], timeout = 60_000): SpawnSyncReturns<string> {
  let outfile = built.get(script);
  if (!outfile) {
    fs.mkdirSync(bundles, { recursive: true });
    outfile = path.join(bundles, `${path.basename(script, '.ts')}-${process.pid}.js`);
    buildSync({ entryPoints: [path.join(root, script)], bundle: true, platform: 'node', target: 'node20', packages: 'external', outfile, logLevel: 'warning' });
    built.set(script, outfile);
  }
  return spawnSync(process.execPath, [outfile, ...args], { cwd: root, encoding: 'utf8', timeout });
}

/** Bundles built by this test process, removed when it exits. */
const built = new Map<string, string>();
process.once('exit', () => built.forEach((file) => fs.rmSync(file, { force: true })));
