/**
 * tools/run-bundle.js: the code cache must never change what a run does, only how fast it
 * starts. Each test runs a small bundle in a child process with its own cache folder.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const launcher = path.join(__dirname, '..', '..', 'tools', 'run-bundle.js');

let work: string;
let cache: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'run-bundle-'));
  cache = path.join(work, 'cache');
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

/** A bundle that reports how it sees itself as a CommonJS main module. */
const BUNDLE = `
const path = require('path');
const report = {
  args: process.argv.slice(2),
  isMain: require.main === module,
  argv1: process.argv[1],
  dirname: __dirname,
  filename: __filename,
  resolvesPackages: typeof require('yaml').stringify === 'function',
  resolve: path.basename(require.resolve('yaml')),
};
console.log(JSON.stringify(report));
`;

function writeBundle(source = BUNDLE): string {
  const file = path.join(work, 'main.js');
  fs.writeFileSync(file, source);
  return file;
}

function run(bundle: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  // From the project root, so the bundle's `require('yaml')` resolves as the synth's would;
  // NODE_PATH stands in for the bundle living inside the project.
  return spawnSync(process.execPath, [launcher, bundle, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, RUN_BUNDLE_CACHE_DIR: cache, NODE_PATH: path.join(__dirname, '..', '..', 'node_modules'), ...env },
  });
}

const cacheFiles = () => (fs.existsSync(cache) ? fs.readdirSync(cache) : []);

test('runs the bundle as the main module, with its own path, folder and arguments', () => {
  const bundle = writeBundle();
  const result = run(bundle, ['ha', '--flag']);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout)).toEqual({
    args: ['ha', '--flag'],
    isMain: true,
    argv1: bundle,
    dirname: work,
    filename: bundle,
    resolvesPackages: true,
    resolve: expect.stringMatching(/\.js$/),
  });
});

test('the first run writes one cache file; the next runs use it and print the same', () => {
  const bundle = writeBundle();
  const first = run(bundle, ['x']);
  expect(cacheFiles()).toEqual([expect.stringMatching(/^main-[0-9a-f]{32}\.v8$/)]);
  const written = fs.statSync(path.join(cache, cacheFiles()[0])).mtimeMs;
  const second = run(bundle, ['x']);
  expect(second.stdout).toBe(first.stdout);
  expect(second.status).toBe(0);
  // Accepted, so not written again.
  expect(fs.statSync(path.join(cache, cacheFiles()[0])).mtimeMs).toBe(written);
});

test('a changed bundle gets a new cache and the old one is removed', () => {
  const bundle = writeBundle();
  run(bundle);
  const before = cacheFiles();
  writeBundle(`${BUNDLE}\nconsole.log('changed');\n`);
  const result = run(bundle);
  expect(result.stdout).toMatch(/changed\n$/);
  expect(cacheFiles()).toHaveLength(1);
  expect(cacheFiles()).not.toEqual(before);
});

test('a corrupt cache is rejected by V8, the run is unchanged and the cache is rewritten', () => {
  const bundle = writeBundle();
  const clean = run(bundle);
  const file = path.join(cache, cacheFiles()[0]);
  fs.writeFileSync(file, Buffer.alloc(fs.statSync(file).size, 0x5a));
  const result = run(bundle);
  expect(result.stdout).toBe(clean.stdout);
  expect(result.status).toBe(0);
  expect(fs.readFileSync(file).every((byte) => byte === 0x5a)).toBe(false);
});

test('RUN_BUNDLE_CACHE=off runs the same and writes nothing; an unwritable cache folder only costs speed', () => {
  const bundle = writeBundle();
  const off = run(bundle, [], { RUN_BUNDLE_CACHE: 'off' });
  expect(off.status).toBe(0);
  expect(cacheFiles()).toEqual([]);
  fs.writeFileSync(cache, 'a file where the folder would be');
  const unwritable = run(bundle);
  expect(unwritable.status).toBe(0);
  expect(unwritable.stderr).toBe('');
  expect(unwritable.stdout).toBe(off.stdout);
});

test('an exception in the bundle fails the run with its message and writes no cache; without a bundle the usage is printed', () => {
  const failing = run(writeBundle("throw new Error('boom from the bundle');"));
  expect(failing.status).toBe(1);
  expect(failing.stderr).toMatch(/boom from the bundle/);
  // A failed run compiled only part of the code: its cache would never be replaced.
  expect(cacheFiles()).toEqual([]);
  expect(run(writeBundle('process.exitCode = 3;')).status).toBe(3);
  expect(cacheFiles()).toEqual([]);
  const usage = spawnSync(process.execPath, [launcher], { encoding: 'utf8' });
  expect(usage.status).toBe(2);
  expect(usage.stderr).toMatch(/usage: node tools\/run-bundle.js <bundle.js>/);
});
