/**
 * `node tools/run-bundle.js <bundle.js> [args...]`: runs one CommonJS bundle (esbuild's output,
 * `npm run bundle`) as the main module, with a V8 code cache beside it, so a repeat synth does
 * not compile the same code again.
 *
 * Why it exists (README, "Performance"): most of a synth's time past loading the libraries is
 * V8 compiling functions lazily as they first run: cdk8s-plus's converters, our constructs.
 * A code cache created at the end of a run holds the bytecode of every function that ran,
 * which Node cannot do for us: Node 20 has no compile cache, and Node 22's
 * (module.enableCompileCache) caches each file as first compiled, before its functions run.
 * `npm run bench` shows the difference in its "without the code cache" row.
 *
 * The cache is keyed by the bundle's content, the Node version and the V8 flags, lives under
 * node_modules/.cache/run-bundle, and is only ever written whole (write, then rename). V8
 * checks the data itself and rejects what does not fit; a rejected or missing cache just means
 * a normal compile and a new cache. RUN_BUNDLE_CACHE=off runs without it (same output).
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

const [bundleArgument] = process.argv.splice(2, 1);
if (!bundleArgument) {
  console.error('usage: node tools/run-bundle.js <bundle.js> [args...]');
  process.exit(2);
}
const bundle = path.resolve(bundleArgument);
// The bundle sees itself as the script Node was started with.
process.argv[1] = bundle;
const source = fs.readFileSync(bundle, 'utf8');
const useCache = process.env.RUN_BUNDLE_CACHE !== 'off';
const cacheDir = process.env.RUN_BUNDLE_CACHE_DIR ?? path.join(__dirname, '..', 'node_modules', '.cache', 'run-bundle');
const key = crypto
  .createHash('sha256')
  .update(`${process.version}\0${process.arch}\0${process.execArgv.join(' ')}\0`)
  .update(source)
  .digest('hex')
  .slice(0, 32);
const cacheFile = path.join(cacheDir, `${path.basename(bundle, '.js')}-${key}.v8`);

let cachedData;
if (useCache) {
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // first run of this bundle
  }
}
const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });

if (useCache && (cachedData === undefined || script.cachedDataRejected)) {
  // Only a run that succeeded: a failed one ran (and compiled) only part of the code, and
  // its cache, once accepted, would never be replaced by a complete one.
  process.once('exit', (code) => {
    if (code !== 0) return;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, script.createCachedData());
      fs.renameSync(temporary, cacheFile);
      // Caches of older bundles under the same name are dead weight.
      const prefix = `${path.basename(bundle, '.js')}-`;
      for (const name of fs.readdirSync(cacheDir)) {
        if (name.startsWith(prefix) && name.endsWith('.v8') && name !== path.basename(cacheFile) && /^[0-9a-f]{32}\.v8$/.test(name.slice(prefix.length))) {
          fs.rmSync(path.join(cacheDir, name), { force: true });
        }
      }
    } catch {
      // a read-only checkout runs without a cache
    }
  });
}

// The bundle as Node's own loader would run it: a main module with its folder's require paths.
const main = new Module(bundle, null);
main.filename = bundle;
main.paths = Module._nodeModulePaths(path.dirname(bundle));
process.mainModule = main;
require.main = main;
Module._cache[bundle] = main;
const moduleRequire = (id) => main.require(id);
moduleRequire.resolve = (request, options) => Module._resolveFilename(request, main, false, options);
moduleRequire.main = main;
moduleRequire.cache = Module._cache;
script.runInThisContext()(main.exports, moduleRequire, main, bundle, path.dirname(bundle));
main.loaded = true;
