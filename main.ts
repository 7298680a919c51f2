import * as path from 'path';
import { EnvironmentError } from './lib/synth';
import { ValuesFileError } from './lib/config/values-file';

// Paths are relative to the project root, where `npm run synth` and `cdk8s synth` run this
// file (not to __dirname: the synth runs as one bundle, see tools/register.js).
// `cdk8s synth` sets CDK8S_OUTDIR from cdk8s.yaml.
const outdir = process.env.CDK8S_OUTDIR ?? 'dist';
try {
  // Loaded inside the try: a bad values file is reported like any other invalid setting.
  const { loadEnvironments } = require('./lib/config/environments') as typeof import('./lib/config/environments');
  const { synthEnvironments } = require('./lib/synth') as typeof import('./lib/synth');
  synthEnvironments(outdir, loadEnvironments(path.resolve('environments')));
} catch (error) {
  if (error instanceof ValuesFileError || error instanceof EnvironmentError) {
    console.error(`synth failed, ${outdir}/ left as it was:\n${error.message}`);
    process.exit(1);
  }
  throw error;
}
