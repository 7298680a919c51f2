import { ENVIRONMENTS } from './environments';
import { SettingError } from './lib';
import { synthEnvironments } from './lib/synth';

// `cdk8s synth` sets CDK8S_OUTDIR from cdk8s.yaml; `npm run synth` runs this file directly.
const outdir = process.env.CDK8S_OUTDIR ?? 'dist';
try {
  synthEnvironments(outdir, ENVIRONMENTS);
} catch (error) {
  if (error instanceof SettingError) {
    console.error(`synth failed, ${outdir}/ left as it was:\n  ${error.message}`);
    process.exit(1);
  }
  throw error;
}
