/**
 * One measured synth, run as its own process by scripts/bench.ts from the project root:
 *   bench-target <ha|ha-cdk8s-writer|all|large|named> <partitions> <outdir>   (partitions: large, named)
 * Writes the objects to `<outdir>/dist/<environment>/` (bench.ts creates and removes
 * `<outdir>`, outside the measured time) and prints `{"objects": N, "maxRssKiB": M}` on
 * stdout. `all` is main.ts's work: every values file in environments/; `ha-cdk8s-writer` is
 * `ha` written by cdk8s's own `app.synth()` instead of lib/synth.ts's writer (same bytes). Paths are relative to
 * the working directory, the project root, as for main.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { StackStormHaSettings } from '../lib';
import { loadEnvironment, loadEnvironments } from '../lib/config/environments';
import { SensorPartitioning } from '../lib/config/st2';
import { buildEnvironment, synthEnvironments } from '../lib/synth';

/**
 * environments/ha.yaml alone: importing `../environments` would also parse and validate
 * the other values files, time the measured synth would pay for nothing.
 */
function haSettings(): StackStormHaSettings {
  return loadEnvironment(path.resolve('environments'), 'ha');
}

/**
 * The large case: `ha` with 5-member datastores, 64 action runners and `partitions` sensor
 * partitions, either hash by count (one StatefulSet) or `named` (kvstore nodes: one
 * Deployment each, sharing one overrides ConfigMap and one NetworkPolicy).
 */
export function largeSettings(partitions: number, named = false): StackStormHaSettings {
  const ha = haSettings();
  const datastore = { replicas: 5 };
  const partitioning: SensorPartitioning = named
    ? { mode: 'kvstore', nodes: Array.from({ length: partitions }, (_, i) => `node-${i}`) }
    : { mode: 'hash', partitions };
  return {
    ...ha,
    datastores: { mongodb: { inCluster: datastore }, rabbitmq: { inCluster: datastore }, coordination: { backend: 'redis-sentinel', inCluster: datastore } },
    st2: { ...ha.st2, actionRunner: { replicas: 64 }, sensorContainer: { partitioning } },
  };
}

if (require.main === module) {
  const [which, count, out] = process.argv.slice(2);
  if (!out) throw new Error('usage: bench-target <ha|ha-cdk8s-writer|all|large|named> <partitions> <outdir>');
  if (which === 'ha-cdk8s-writer') {
    buildEnvironment('ha', haSettings(), path.join(out, 'dist', 'ha')).synth();
    process.stdout.write(JSON.stringify({ objects: fs.readdirSync(path.join(out, 'dist', 'ha')).length, maxRssKiB: process.resourceUsage().maxRSS }));
    process.exit(0);
  }
  const environments =
    which === 'all'
      ? loadEnvironments(path.resolve('environments'))
      : { [which]: which === 'ha' ? haSettings() : largeSettings(Number(count), which === 'named') };
  synthEnvironments(path.join(out, 'dist'), environments);
  const objects = Object.keys(environments).reduce((sum, name) => sum + fs.readdirSync(path.join(out, 'dist', name)).length, 0);
  process.stdout.write(JSON.stringify({ objects, maxRssKiB: process.resourceUsage().maxRSS }));
}
