/**
 * Jest transform: strips TypeScript types with esbuild (the same compiler `npm run synth` bundles
 * with), without TypeScript's compiler API. Type errors are `npm run typecheck`'s job.
 */
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
    });
    return { code, map };
  },
};
