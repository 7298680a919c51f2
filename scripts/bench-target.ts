/**
 * One measured synth, run as its own process by scripts/bench.ts:
 *   bench-target.ts <case> [partitions]
 * Prints `{"objects": N, "maxRssKiB": M}` on stdout.
 */
import * as fs from 'fs';
import * as path from 'path';
import { StackStormHaSettings } from '../lib';
import { loadEnvironment } from '../lib/config/environments';
import { synthEnvironments } from '../lib/synth';

/**
 * environments/ha.yaml alone: importing `../environments` would also parse and validate
 * the other values files, time the measured synth would pay for nothing.
 */
function haSettings(): StackStormHaSettings {
  return loadEnvironment(path.join(__dirname, '..', 'environments'), 'ha');
}

export function largeSettings(partitions: number): StackStormHaSettings {
  const ha = haSettings();
  const datastore = { replicas: 5 };
  return {
    ...ha,
    datastores: { mongodb: { inCluster: datastore }, rabbitmq: { inCluster: datastore }, coordination: { backend: 'redis-sentinel', inCluster: datastore } },
    st2: { ...ha.st2, actionRunner: { replicas: 64 }, sensorContainer: { partitioning: { mode: 'hash', partitions } } },
  };
}

if (require.main === module) {
  const [which, count] = process.argv.slice(2);
  const settings = which === 'ha' ? haSettings() : largeSettings(Number(count ?? 256));
  // On the project's disk, where `npm run synth` writes (not the system temp folder).
  const cache = path.join(__dirname, '..', 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  const out = fs.mkdtempSync(path.join(cache, 'bench-'));
  try {
    synthEnvironments(path.join(out, 'dist'), { [which]: settings });
    const objects = fs.readdirSync(path.join(out, 'dist', which)).length;
    process.stdout.write(JSON.stringify({ objects, maxRssKiB: process.resourceUsage().maxRSS }));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}
