/**
 * `node -r ./tools/register.js <file>.ts`: runs the project's TypeScript on Node's own
 * CommonJS loader, and makes repeat runs start fast. Types are only stripped (esbuild);
 * type errors are `npm run typecheck`'s job. Everything it caches lives under
 * node_modules/.cache/synth-register, keyed by what changes it:
 *
 * 1. Transpiled code per .ts file, keyed by a hash of its source.
 * 2. The synth entry points (BUNDLED_ENTRIES) run as one bundle of the project's modules
 *    (packages stay external), rebuilt when any bundled file changes (same size and
 *    modification time stand in for same content; otherwise the content decides). Per-module
 *    loading cost more than 40 ms on `ha`: resolution, two reads and a compile per file,
 *    and getter-based access between modules. Bundled code has no per-file `__dirname`:
 *    code on the synth path uses literal `require` paths or the working directory, and a
 *    use of `__dirname` fails loudly (ReferenceError naming BUNDLE_HAS_NO_DIRNAME).
 * 3. V8's code cache for every script the process compiles, written at exit, so it also
 *    holds the bytecode of the functions that ran: compiling cdk8s-plus's converters and
 *    our constructs lazily, on every run, was ~25 ms of the `ha` synth. Package scripts
 *    are keyed by the install, their path and length; ours by content. Node 22's
 *    module.enableCompileCache() does the same; Node 20 has none.
 *
 * SYNTH_REGISTER=plain turns 2 and 3 off (same output, slower); the first run after a
 * change pays for building the bundle and writing the code cache (see README, "Performance").
 * With --enable-source-maps, code runs through Node's own compile (no code cache) so stack
 * traces point into the .ts sources; otherwise they point into generated code.
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

const projectRoot = path.join(__dirname, '..');
const cacheDir = process.env.SYNTH_REGISTER_CACHE_DIR ?? path.join(projectRoot, 'node_modules', '.cache', 'synth-register');
const plain = process.env.SYNTH_REGISTER === 'plain';
const sourceMaps = Boolean(process.sourceMapsEnabled);
/**
 * Entry scripts that run as one bundle: the synth and the benchmark's measured synth
 * (SYNTH_REGISTER_BUNDLE_ENTRIES, absolute paths joined by `path.delimiter`, adds others: tests).
 */
const BUNDLED_ENTRIES = new Set([
  ...['main.ts', 'scripts/bench-target.ts'].map((file) => path.join(projectRoot, file)),
  ...(process.env.SYNTH_REGISTER_BUNDLE_ENTRIES ?? '').split(path.delimiter).filter(Boolean),
]);
/** What the caches did in this process; SYNTH_REGISTER_DEBUG=1 prints it to stderr at exit. */
const stats = { bundle: 'none', codeCache: { accepted: 0, rejected: 0, missing: 0, written: false } };

let esbuild; // loaded only on a cache miss: a warm run never pays for it
let version;
function esbuildVersion() {
  // Read the version without loading esbuild itself (its start-up spawns a service).
  if (version === undefined) version = require('esbuild/package.json').version;
  return version;
}

function sha256(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Write then rename, so a concurrent run never reads half a file; a read-only checkout just runs uncached. */
function writeCacheFile(file, data) {
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, data);
    fs.renameSync(temporary, file);
  } catch {
    // not writable: nothing is cached
  }
}

function readCacheFile(file, encoding) {
  try {
    return fs.readFileSync(file, encoding);
  } catch {
    return undefined;
  }
}

// 1. Per-file transpilation.
function transpile(source, filename) {
  const key = sha256(`${esbuildVersion()}\0${sourceMaps ? filename : ''}\0${sourceMaps}\0${source}`);
  const cached = path.join(cacheDir, `${key}.js`);
  const hit = readCacheFile(cached, 'utf8');
  if (hit !== undefined) return hit;
  esbuild ??= require('esbuild');
  const { code } = esbuild.transformSync(source, {
    loader: 'ts',
    format: 'cjs',
    target: 'node20',
    sourcemap: sourceMaps ? 'inline' : false,
    sourcefile: filename,
  });
  writeCacheFile(cached, code);
  return code;
}

// 2. The entry bundle.
/** Size and modification time of a file, or undefined when it is gone. */
function identity(file) {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat && `${stat.size}:${stat.mtimeMs}`;
}

/**
 * Whether `file` still has the content hashed in `input`. The size and modification time
 * stand in for the content when both are unchanged; otherwise the content decides (a
 * `git checkout` that restores the same bytes keeps the bundle) and the record is updated.
 */
function unchanged(file, input) {
  const now = identity(file);
  if (now === undefined) return false;
  if (now === input.identity) return true;
  if (sha256(readCacheFile(file) ?? '') !== input.hash) return false;
  input.identity = now;
  return 'touched';
}

/** The bundle of `entry`, from cache while every file in it is unchanged. */
function entryBundle(entry) {
  const id = sha256(`${entry}\0${sourceMaps}`).slice(0, 24);
  const manifestFile = path.join(cacheDir, `bundle-${id}.json`);
  const manifest = JSON.parse(readCacheFile(manifestFile, 'utf8') ?? 'null');
  if (manifest && manifest.esbuild === esbuildVersion()) {
    const checks = Object.entries(manifest.inputs).map(([file, input]) => unchanged(file, input));
    const code = checks.every(Boolean) ? readCacheFile(path.join(cacheDir, manifest.bundle), 'utf8') : undefined;
    if (code !== undefined) {
      if (checks.includes('touched')) writeCacheFile(manifestFile, JSON.stringify(manifest, null, 1));
      stats.bundle = 'cached';
      return { code, file: path.join(cacheDir, manifest.bundle) };
    }
  }
  stats.bundle = 'built';
  esbuild ??= require('esbuild');
  const started = Date.now();
  const result = esbuild.buildSync({
    entryPoints: [entry],
    // Like transpile() and the jest transform: no tsconfig.json settings (its `strict`
    // would make only the bundle strict-mode code).
    tsconfigRaw: '{}',
    // Not written; names the output beside the entry, so source map paths resolve from there.
    outfile: path.join(path.dirname(entry), 'bundle.js'),
    absWorkingDir: projectRoot,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
    sourcemap: sourceMaps ? 'inline' : false,
    define: { __dirname: 'BUNDLE_HAS_NO_DIRNAME', __filename: 'BUNDLE_HAS_NO_FILENAME' },
  });
  const code = result.outputFiles[0].text;
  const inputs = {};
  // This file decides how bundles are built: a change to it is a change to every bundle.
  let settled = true;
  for (const file of [...Object.keys(result.metafile.inputs).map((input) => path.resolve(projectRoot, input)), __filename]) {
    inputs[file] = { hash: sha256(fs.readFileSync(file)), identity: identity(file) };
    // Saved while esbuild read it: the bundle may hold the older text, so do not vouch for it.
    if (fs.statSync(file).mtimeMs >= started) settled = false;
  }
  const bundle = `bundle-${id}-${sha256(code).slice(0, 16)}.js`;
  try {
    // Earlier bundles of this entry are dead weight now.
    for (const old of fs.readdirSync(cacheDir).filter((name) => name.startsWith(`bundle-${id}-`))) {
      fs.rmSync(path.join(cacheDir, old), { force: true });
    }
  } catch {
    // no cache folder yet, or a read-only one
  }
  writeCacheFile(path.join(cacheDir, bundle), code);
  if (settled) writeCacheFile(manifestFile, JSON.stringify({ esbuild: esbuildVersion(), bundle, inputs }, null, 1));
  return { code, file: path.join(cacheDir, bundle) };
}

// 3. V8 code cache, one file per entry script and set of Node/V8 flags, holding every script
// the process compiled. V8 rejects cached data made under other flags (the synth runs with
// --max-semi-space-size, a plain `node -r` does not): one file per flag set, so the two do
// not overwrite each other's cache on every run. Each file is ~4 MB for a synth, so only
// the most recently written CODE_CACHES_PER_ENTRY flag sets of an entry are kept.
const CODE_CACHES_PER_ENTRY = 3;
const entryFile = process.argv[1] ? path.resolve(process.argv[1]) : '(eval)';
const entryId = sha256(`${process.version}\0${entryFile}`).slice(0, 16);
const flags = `${process.execArgv.join(' ')}\0${process.env.NODE_OPTIONS ?? ''}`;
const codeCacheFile = path.join(cacheDir, `code-${entryId}-${sha256(flags).slice(0, 12)}.bin`);
/** key -> cached data, read once from the entry's file: [u32 index length][JSON index][buffers]. */
const codeCache = new Map();
const compiled = [];
let codeCacheStale = false;

function readCodeCache() {
  const blob = readCacheFile(codeCacheFile);
  if (!blob || blob.length < 4) return;
  try {
    const indexLength = blob.readUInt32LE(0);
    let offset = 4 + indexLength;
    for (const [key, length] of JSON.parse(blob.subarray(4, offset).toString('utf8'))) {
      codeCache.set(key, blob.subarray(offset, offset + length));
      offset += length;
    }
  } catch {
    codeCache.clear();
  }
}

function writeCodeCache() {
  if (!codeCacheStale) return;
  stats.codeCache.written = true;
  const index = [];
  const buffers = [];
  for (const { key, script, cached } of compiled) {
    // Cache accepted: keep it. New or rejected: what V8 compiled during this run.
    const data = cached ?? script.createCachedData();
    index.push([key, data.length]);
    buffers.push(data);
  }
  const header = Buffer.from(JSON.stringify(index), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length, 0);
  writeCacheFile(codeCacheFile, Buffer.concat([length, header, ...buffers]));
  pruneCodeCaches();
}

/** Drops all but the newest CODE_CACHES_PER_ENTRY files of this entry, and files named before flags were part of the name. */
function pruneCodeCaches() {
  try {
    const ofEntry = [];
    for (const name of fs.readdirSync(cacheDir)) {
      const file = path.join(cacheDir, name);
      if (/^code-[0-9a-f]{24}\.bin$/.test(name)) fs.rmSync(file, { force: true });
      else if (name.startsWith(`code-${entryId}-`) && name.endsWith('.bin')) ofEntry.push({ file, written: fs.statSync(file).mtimeMs });
    }
    ofEntry.sort((a, b) => b.written - a.written);
    for (const { file } of ofEntry.slice(CODE_CACHES_PER_ENTRY)) {
      if (file !== codeCacheFile) fs.rmSync(file, { force: true });
    }
  } catch {
    // a read-only or vanished cache folder: nothing to prune
  }
}

const compileUncached = Module.prototype._compile;

/** Like Node's own `require` for `mod` (the parts modules use). */
function requireFunction(mod) {
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/**
 * Runs `content` as the CommonJS module `mod` (what Module.prototype._compile does), with
 * V8's cached data for `key` when there is some. `scriptName` names it in stack traces.
 */
function runCached(mod, content, filename, key, scriptName = filename) {
  // Node's own compile maps stack traces through source maps and supports import(),
  // which a vm.Script without a dynamic-import callback does not: leave those to it.
  if (sourceMaps || content.includes('import(')) return compileUncached.call(mod, content, filename);
  const cachedData = codeCache.get(key);
  const source = Module.wrap(content.startsWith('#!') ? `//${content}` : content);
  const script = new vm.Script(source, { filename: scriptName, cachedData });
  const accepted = cachedData !== undefined && !script.cachedDataRejected;
  stats.codeCache[accepted ? 'accepted' : cachedData === undefined ? 'missing' : 'rejected'] += 1;
  if (!accepted) codeCacheStale = true;
  compiled.push({ key, script, cached: accepted ? cachedData : undefined });
  const wrapper = script.runInThisContext({ displayErrors: true });
  return wrapper.call(mod.exports, mod.exports, requireFunction(mod), mod, filename, path.dirname(filename));
}

if (!plain) {
  readCodeCache();
  process.once('exit', () => {
    writeCodeCache();
    if (process.env.SYNTH_REGISTER_DEBUG === '1') process.stderr.write(`synth-register ${JSON.stringify(stats)}\n`);
  });
  // JavaScript files are keyed by path, size and modification time (V8 itself only checks
  // the length): an edit in node_modules or a regenerated schemas/*.js gets a new entry.
  Module.prototype._compile = function compileWithCodeCache(content, filename) {
    const stat = path.isAbsolute(filename) && fs.statSync(filename, { throwIfNoEntry: false });
    if (!stat) return compileUncached.call(this, content, filename); // `node -e` and the like
    return runCached(this, content, filename, `js\0${filename}\0${stat.size}\0${stat.mtimeMs}`);
  };
}

// Registering the extension also makes require('./environments') find environments/index.ts.
Module._extensions['.ts'] = function loadTypeScript(mod, filename) {
  if (plain) {
    mod._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
  } else if (mod.id === '.' && BUNDLED_ENTRIES.has(filename)) {
    const bundle = entryBundle(filename);
    // The bundle's file name carries a hash of its content.
    runCached(mod, bundle.code, filename, `bundle\0${bundle.file}`, bundle.file);
  } else {
    const code = transpile(fs.readFileSync(filename, 'utf8'), filename);
    runCached(mod, code, filename, `ts\0${sha256(code)}`);
  }
};
