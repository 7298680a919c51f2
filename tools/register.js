/**
 * `node -r ./tools/register.js main.ts`: lets Node's own CommonJS loader run our .ts files.
 * Types are stripped with esbuild's transformSync (the compiler tools/jest-esbuild-transform.js
 * uses for the tests); type errors are `npm run typecheck`'s job. This replaces tsx on the
 * synth path: tsx starts an ESM loader worker and hooks every resolution, which cost more
 * than the whole synth (see README, "Performance").
 *
 * Output is cached on disk under node_modules/.cache/ts-register, keyed by a hash of the
 * source and everything that changes the output, so a repeat run transpiles nothing.
 * Stack traces point into the generated code unless Node runs with --enable-source-maps
 * (then inline source maps are generated, and cached under a different key).
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');

const cacheDir = path.join(__dirname, '..', 'node_modules', '.cache', 'ts-register');
const sourceMaps = Boolean(process.sourceMapsEnabled);
let esbuild; // loaded only on a cache miss: a warm run never pays for it
let version;

function esbuildVersion() {
  // Read the version without loading esbuild itself (its start-up spawns a service).
  if (version === undefined) version = require('esbuild/package.json').version;
  return version;
}

function transpile(source, filename) {
  const key = crypto.createHash('sha256')
    .update(`${esbuildVersion()}\0${sourceMaps ? filename : ''}\0${sourceMaps}\0`)
    .update(source)
    .digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  esbuild ??= require('esbuild');
  const { code } = esbuild.transformSync(source, {
    loader: 'ts',
    format: 'cjs',
    target: 'node20',
    sourcemap: sourceMaps ? 'inline' : false,
    sourcefile: filename,
  });
  try {
    // Write then rename, so a concurrent run never reads half a file.
    fs.mkdirSync(cacheDir, { recursive: true });
    const temporary = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, code);
    fs.renameSync(temporary, cached);
  } catch {
    // A read-only checkout still runs, just without the cache.
  }
  return code;
}

// Registering the extension also makes require('./environments') find environments/index.ts.
Module._extensions['.ts'] = function loadTypeScript(module, filename) {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};
