/**
 * `npm run synth`, `cdk8s synth` and the benchmark's measured synth build and start the same
 * way: the bundle, the launcher and the node flags are part of the synth's speed (README,
 * "Performance").
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

const root = path.join(__dirname, '..', '..');
const scripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts;

test('cdk8s.yaml runs exactly the command of `npm run synth`', () => {
  const config = parse(fs.readFileSync(path.join(root, 'cdk8s.yaml'), 'utf8'));
  expect(config.app).toBe(scripts.synth);
});

test('the synth bundles main.ts with esbuild, then runs the bundle through the code-cache launcher with a small young generation', () => {
  const [bundle, run] = scripts.synth.split('&&').map((part) => part.trim().split(/\s+/));
  expect(bundle.slice(0, 3)).toEqual(['esbuild', 'main.ts', 'scripts/bench-target.ts']);
  expect(bundle).toEqual(expect.arrayContaining(['--bundle', '--platform=node', '--outdir=build/app']));
  // Packages stay inside the bundle: one script, one code cache (README, "Performance").
  expect(bundle.some((word) => word.startsWith('--packages') || word.startsWith('--external'))).toBe(false);
  expect(run).toEqual(['node', '--max-semi-space-size=1', 'tools/run-bundle.js', 'build/app/main.js']);
});

test('the library build (`prepare`, run by npm ci) is plain tsc into build/', () => {
  expect(scripts.prepare).toBe('npm run build');
  expect(scripts.build).toBe('tsc -p tsconfig.build.json');
});
