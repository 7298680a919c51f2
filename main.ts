import * as path from 'path';
import { loadEnvironments } from './lib/config/environments';
import { ValuesFileError } from './lib/config/values-file';
import { EnvironmentError, synthEnvironments } from './lib/synth';

// The app `npm run synth` and `cdk8s synth` run from the project root: every values file in
// environments/ becomes dist/<name>/ (`cdk8s synth` passes its output folder as CDK8S_OUTDIR).
const outdir = process.env.CDK8S_OUTDIR ?? 'dist';
try {
  synthEnvironments(outdir, loadEnvironments(path.resolve('environments')));
} catch (error) {
  if (error instanceof ValuesFileError || error instanceof EnvironmentError) {
    console.error(`synth failed, ${outdir}/ left as it was:\n${error.message}`);
    process.exit(1);
  }
  throw error;
}
