import { EnvironmentError } from './lib/synth';
import { ValuesFileError } from './lib/config/values-file';

// `cdk8s synth` sets CDK8S_OUTDIR from cdk8s.yaml; `npm run synth` runs this file directly.
const outdir = process.env.CDK8S_OUTDIR ?? 'dist';
try {
  // Loaded inside the try: a bad values file is reported like any other invalid setting.
  const { ENVIRONMENTS } = require('./environments') as typeof import('./environments');
  const { synthEnvironments } = require('./lib/synth') as typeof import('./lib/synth');
  synthEnvironments(outdir, ENVIRONMENTS);
} catch (error) {
  if (error instanceof ValuesFileError || error instanceof EnvironmentError) {
    console.error(`synth failed, ${outdir}/ left as it was:\n${error.message}`);
    process.exit(1);
  }
  throw error;
}
