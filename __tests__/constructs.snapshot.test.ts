/**
 * Focused snapshots, one construct each, synthesized through cdk8s `Testing`: small enough
 * to review in a diff. They are a safety net; the structural tests are the proof, and dist/
 * is the golden file of whole environments (CI fails when it differs from a fresh synth).
 * CI runs jest with --ci, so a missing snapshot fails instead of being written.
 */
import { Testing } from 'cdk8s';
import { StackStormHa } from '../lib';

type Manifest = { kind: string; metadata: { name: string; labels?: Record<string, string> } };

/** The objects of one component (`app.kubernetes.io/name`) of a default deployment. */
function component(name: string): Manifest[] {
  const chart = Testing.chart();
  new StackStormHa(chart, 'snapshot', {});
  return (Testing.synth(chart) as Manifest[]).filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === name);
}

test.each(['st2auth', 'st2actionrunner', 'st2-register-content', 'st2-smoke-test'])('%s', (name) => {
  const objects = component(name);
  expect(objects.length).toBeGreaterThan(0);
  expect(objects).toMatchSnapshot();
});
