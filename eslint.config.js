/**
 * ESLint, run by `npm test` (scripts/test.sh): the layer rule of README "Layout" and a few
 * correctness rules; Prettier does the formatting. TypeScript is parsed by Babel's parser:
 * typescript-eslint needs TypeScript's compiler API, which TypeScript 7 (our compiler) has
 * none of. Types are tsc's job (`tsc -p .` runs beside).
 */
const babelParser = require('@babel/eslint-parser');

/**
 * The folders of lib/ are layers: each may import only itself and the layers below it, so
 * no folder imports another in a circle and every folder can be read alone.
 *
 *   common  <  images, config  <  st2, backing, edge, mistral  <  policy, report  <  lib/*.ts
 *
 * Components never import each other: what one needs of another, StackStormHa (lib/*.ts,
 * which may import everything) hands over as typed endpoints and settings.
 */
const LAYERS = {
  common: [],
  images: ['common'],
  config: ['common', 'images'],
  st2: ['common', 'images', 'config'],
  backing: ['common', 'images', 'config'],
  edge: ['common', 'images', 'config'],
  mistral: ['common', 'images', 'config'],
  policy: ['common', 'images', 'config'],
  report: ['common', 'images', 'config'],
};

/** An import that leaves lib/<folder>/ for a folder that is not below it (`../../` leaves lib/: imports/, schemas/). */
function layerRule(folder) {
  const allowed = [folder, ...LAYERS[folder]];
  return {
    files: [`lib/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^\\.\\./(?!(?:${allowed.join('|')})/|\\.\\./)`,
              message: `lib/${folder}/ may import only ${allowed.map((name) => `${name}/`).join(', ')} (README, "Layout"): let StackStormHa hand it what it needs`,
            },
          ],
        },
      ],
    },
  };
}

module.exports = [
  // Script templates (lib/*/scripts/) are not JavaScript until their {{PLACEHOLDERS}} are filled.
  { ignores: ['build/**', 'dist/**', 'node_modules/**', 'imports/**', 'schemas/**', 'dist.*/**', 'lib/**/scripts/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: babelParser,
      parserOptions: {
        requireConfigFile: false,
        babelOptions: { babelrc: false, configFile: false, presets: [['@babel/preset-typescript', { allowDeclareFields: true }]] },
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'smart'],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-debugger': 'error',
      'no-duplicate-imports': 'error',
      'no-self-compare': 'error',
    },
  },
  {
    // Library code reports through SettingError and return values, never by printing.
    files: ['lib/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  ...Object.keys(LAYERS).map(layerRule),
];

module.exports.LAYERS = LAYERS;
