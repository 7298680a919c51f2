/**
 * tools/register.js: the synth's caches (entry bundle, V8 code cache) must never change what
 * a run does, only how fast it starts. Each test runs Node in a child process with its own
 * cache folder.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const register = path.join(root, 'tools', 'register.js');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** What the caches did (SYNTH_REGISTER_DEBUG). */
  readonly stats: { bundle: string; codeCache: { accepted: number; rejected: number; missing: number; written: boolean } };
}

let work: string;
let cache: string;
beforeEach(() => {
  // Under the project, so fixtures resolve packages from its node_modules.
  fs.mkdirSync(path.join(root, 'node_modules', '.cache'), { recursive: true });
  work = fs.mkdtempSync(path.join(root, 'node_modules', '.cache', 'register-test-'));
  cache = path.join(work, 'cache');
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

function node(args: string[], env: NodeJS.ProcessEnv = {}, cwd = root, nodeFlags: string[] = []): Run {
  const result: SpawnSyncReturns<string> = spawnSync(process.execPath, [...nodeFlags, '-r', register, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SYNTH_REGISTER_CACHE_DIR: cache, SYNTH_REGISTER_DEBUG: '1', ...env },
  });
  const line = result.stderr.split('\n').find((l) => l.startsWith('synth-register '));
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, stats: line ? JSON.parse(line.slice('synth-register '.length)) : undefined as never };
}

function tree(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath ?? entry.path, entry.name);
      return [path.relative(dir, file), fs.readFileSync(file, 'utf8')];
    }));
}

/** A two-file project bundled like main.ts: `entry.ts` prints what `dep.ts` exports. */
function fixture(dep: string): { entry: string; dep: string; env: NodeJS.ProcessEnv } {
  const entry = path.join(work, 'entry.ts');
  fs.writeFileSync(entry, "import { value } from './dep';\nimport { stringify } from 'yaml';\nprocess.stdout.write(stringify({ value, main: require.main === module }));\n");
  fs.writeFileSync(path.join(work, 'dep.ts'), dep);
  return { entry, dep: path.join(work, 'dep.ts'), env: { SYNTH_REGISTER_BUNDLE_ENTRIES: entry } };
}

// main.ts itself, cold (fresh clone) and warm (`cdk8s synth` after `npm run synth`), is
// checked against dist/ by .ci/run; here the other bundled entry, on `ha`.
test('a synth writes the same files cold, warm and with the caches off', () => {
  const runs = ['cold', 'warm', 'plain'].map((name) => {
    const out = path.join(work, name);
    const run = node(['scripts/bench-target.ts', 'ha', '0', out], name === 'plain' ? { SYNTH_REGISTER: 'plain' } : {});
    expect(run.status).toBe(0);
    return { run, files: tree(path.join(out, 'dist', 'ha')) };
  });
  expect(runs[0].run.stats).toMatchObject({ bundle: 'built', codeCache: { accepted: 0, written: true } });
  expect(runs[1].run.stats).toEqual({ bundle: 'cached', codeCache: { accepted: expect.any(Number), rejected: 0, missing: 0, written: false } });
  expect(runs[1].run.stats.codeCache.accepted).toBeGreaterThan(100);
  expect(runs[2].run.stats).toBeUndefined();
  expect(runs[1].files).toEqual(runs[0].files);
  expect(runs[2].files).toEqual(runs[0].files);
  // And what is committed: the bundle is the same program as the sources.
  expect(runs[0].files).toEqual(tree(path.join(root, 'dist', 'ha')));
});

test('an edited source rebuilds the bundle; a touched but unchanged one does not', () => {
  const project = fixture("export const value = 'one';\n");
  expect(node([project.entry], project.env)).toMatchObject({ status: 0, stdout: 'value: one\nmain: true\n', stats: { bundle: 'built' } });
  expect(node([project.entry], project.env)).toMatchObject({ status: 0, stdout: 'value: one\nmain: true\n', stats: { bundle: 'cached' } });
  fs.writeFileSync(project.dep, "export const value = 'two';\n"); // same length, new content
  expect(node([project.entry], project.env)).toMatchObject({ status: 0, stdout: 'value: two\nmain: true\n', stats: { bundle: 'built' } });
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(project.dep, later, later);
  expect(node([project.entry], project.env)).toMatchObject({ status: 0, stdout: 'value: two\nmain: true\n', stats: { bundle: 'cached' } });
  expect(fs.readdirSync(cache).filter((name) => /^bundle-.*-.*\.js$/.test(name))).toHaveLength(1);
});

test('bundled code that uses __dirname fails loudly instead of reading the wrong folder', () => {
  const project = fixture("export const value = require('path').join(__dirname, 'x');\n");
  const run = node([project.entry], project.env);
  expect(run.status).not.toBe(0);
  expect(run.stderr).toContain('BUNDLE_HAS_NO_DIRNAME is not defined');
  // Not bundled, the same file has its own __dirname.
  expect(node([project.entry])).toMatchObject({ status: 0, stdout: `value: ${path.join(work, 'x')}\nmain: true\n` });
});

test('a module that throws keeps its real file name in the stack trace', () => {
  const bad = path.join(work, 'bad.ts');
  fs.writeFileSync(bad, "const n: number = 1;\nthrow new Error('boom ' + n);\n");
  const run = node([bad]);
  expect(run.status).not.toBe(0);
  expect(run.stderr).toContain('Error: boom 1');
  expect(run.stderr).toContain(bad);
});

test('bundled and per-file code run with the same semantics (no tsconfig.json strict mode in one only)', () => {
  const project = fixture("const frozen = Object.freeze({ a: 1 }) as { a: number };\n(frozen as { a: number }).a = 2;\nexport const value = frozen.a;\n");
  expect(node([project.entry], project.env)).toMatchObject({ status: 0, stdout: 'value: 1\nmain: true\n', stats: { bundle: 'built' } });
  expect(node([project.entry], { SYNTH_REGISTER: 'plain' })).toMatchObject({ status: 0, stdout: 'value: 1\nmain: true\n' });
});

test('a bundle is rebuilt when the hook itself changes: it is one of the inputs', () => {
  const project = fixture("export const value = 'one';\n");
  expect(node([project.entry], project.env).status).toBe(0);
  const manifest = fs.readdirSync(cache).find((name) => /^bundle-[0-9a-f]+\.json$/.test(name))!;
  expect(Object.keys(JSON.parse(fs.readFileSync(path.join(cache, manifest), 'utf8')).inputs)).toEqual(expect.arrayContaining([register, project.dep]));
});

test('an edited JavaScript file of the same length gets a new code cache entry, not the old code', () => {
  const script = path.join(work, 'plain.js');
  fs.writeFileSync(script, "process.stdout.write('aaa');\n");
  expect(node([script])).toMatchObject({ status: 0, stdout: 'aaa' });
  expect(node([script])).toMatchObject({ status: 0, stdout: 'aaa', stats: { codeCache: { missing: 0, rejected: 0 } } });
  fs.writeFileSync(script, "process.stdout.write('bbb');\n");
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(script, later, later);
  expect(node([script])).toMatchObject({ status: 0, stdout: 'bbb' });
});

test('runs with other V8 flags keep their own code cache instead of overwriting each other\'s', () => {
  // V8 rejects cached data made under other flags; `npm run synth` passes some, a plain
  // `node -r ./tools/register.js main.ts` does not.
  const script = path.join(work, 'plain.js');
  fs.writeFileSync(script, "process.stdout.write('ok');\n");
  const small = ['--max-semi-space-size=1'];
  expect(node([script], {}, root, small).stats.codeCache).toMatchObject({ missing: 1, written: true });
  expect(node([script]).stats.codeCache).toMatchObject({ missing: 1, rejected: 0, written: true });
  expect(node([script], {}, root, small)).toMatchObject({ status: 0, stdout: 'ok', stats: { codeCache: { accepted: 1, rejected: 0, written: false } } });
  expect(node([script])).toMatchObject({ status: 0, stdout: 'ok', stats: { codeCache: { accepted: 1, rejected: 0, written: false } } });
});

test('an entry keeps the code caches of its three most recent flag sets, not one per flag set ever used', () => {
  const script = path.join(work, 'plain.js');
  fs.writeFileSync(script, "process.stdout.write('ok');\n");
  const codeCaches = () => fs.readdirSync(cache).filter((name) => name.startsWith('code-')).sort();
  for (const limit of [10, 20, 30]) node([script], {}, root, [`--stack-trace-limit=${limit}`]);
  const threeNewest = codeCaches();
  expect(threeNewest).toHaveLength(3);
  // Written under the naming before flags were part of it: removed as well.
  fs.writeFileSync(path.join(cache, `code-${'0'.repeat(24)}.bin`), 'old');
  // Make the mtime order unambiguous on coarse file systems.
  const past = new Date(Date.now() - 60_000);
  for (const name of threeNewest) fs.utimesSync(path.join(cache, name), past, past);
  expect(node([script], {}, root, ['--stack-trace-limit=40'])).toMatchObject({ status: 0, stdout: 'ok', stats: { codeCache: { written: true } } });
  const after = codeCaches();
  expect(after).toHaveLength(3);
  expect(after.filter((name) => !threeNewest.includes(name))).toHaveLength(1);
  expect(after).not.toContain(`code-${'0'.repeat(24)}.bin`);
});

test('an unwritable cache still runs, uncached', () => {
  const project = fixture("export const value = 'one';\n");
  fs.writeFileSync(cache, 'a file where the cache folder should be');
  for (let run = 0; run < 2; run++) {
    expect(node([project.entry], project.env)).toMatchObject({ status: 0, stdout: 'value: one\nmain: true\n', stats: { bundle: 'built' } });
  }
});

test('with --enable-source-maps, stack traces point into the .ts sources, bundled or not', () => {
  const project = fixture("export const value = 'one';\nexport function fail(): never {\n  throw new Error('failed here');\n}\nif (process.env.FAIL) fail();\n");
  for (const env of [project.env, {}]) {
    const run = node(['--enable-source-maps', project.entry], { ...env, FAIL: '1' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`${project.dep}:3`);
  }
});

test('`node -e` still works through the hook', () => {
  const result = spawnSync(process.execPath, ['-r', register, '-e', "process.stdout.write(require('yaml').stringify({ ok: true }))"], {
    cwd: root, encoding: 'utf8', env: { ...process.env, SYNTH_REGISTER_CACHE_DIR: cache },
  });
  expect(result).toMatchObject({ status: 0, stdout: 'ok: true\n' });
});
