/**
 * `npm run bench`: wall time and peak memory of whole synth runs, each in a fresh process
 * started the way `npm run synth` starts (what a user or CI pays), beside the floor: a
 * process that only loads cdk8s, cdk8s-plus-27 and yaml.
 *
 * Cases run interleaved, one of each per round, so a busy machine slows every case alike
 * and the ratios to the floor stay meaningful; one warm-up round (it also fills the
 * transpile cache), then BENCH_RUNS measured rounds (default 5). Prints PASS/MISS per
 * target; it does not fail on a miss, the numbers are the point.
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const root = path.join(__dirname, '..');
const register = path.join(root, 'tools', 'register.js');
const GROWTH_POINTS = [1, 16, 64, 128, 256];
const TARGETS = { ha: 1.5, large: 2 };

interface Sample { ms: number; rssKiB: number; objects?: number }
interface Case { name: string; args: string[]; samples: Sample[] }
interface Summary { median: number; min: number; max: number; rssMiB: number; objects?: number }

function run(args: string[]): Sample {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed:\n${result.stderr}`);
  const report = JSON.parse(result.stdout.trim().split('\n').pop()!);
  return { ms, rssKiB: report.maxRssKiB, objects: report.objects };
}

function synthCase(name: string, ...target: string[]): Case {
  return { name, args: ['-r', register, 'scripts/bench-target.ts', ...target], samples: [] };
}

/** One warm-up round, then RUNS rounds of every case in turn. */
function measureInterleaved(cases: Case[]): void {
  for (const c of cases) run(c.args);
  for (let round = 0; round < RUNS; round++) {
    for (const c of cases) c.samples.push(run(c.args));
  }
}

function summary(c: Case): Summary {
  const times = c.samples.map((s) => s.ms).sort((a, b) => a - b);
  const middle = times.length / 2;
  return {
    median: times.length % 2 ? times[Math.floor(middle)] : (times[middle - 1] + times[middle]) / 2,
    min: times[0],
    max: times[times.length - 1],
    rssMiB: Math.max(...c.samples.map((s) => s.rssKiB)) / 1024,
    objects: c.samples[0].objects,
  };
}

const floorCase: Case = {
  name: 'floor (load cdk8s, cdk8s-plus-27, yaml)',
  args: ['-e', "require('cdk8s'); require('cdk8s-plus-27'); require('yaml'); process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }))"],
  samples: [],
};
const haCase = synthCase('ha environment', 'ha');
const largeCase = synthCase('large (256 partitions, 64 runners, 5-member datastores)', 'large', '256');

console.log(`synth benchmark: ${RUNS} interleaved rounds after a warm-up, node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
measureInterleaved([floorCase, haCase, largeCase]);
const floor = summary(floorCase);
const fmt = (n: number, width = 6) => n.toFixed(0).padStart(width);
console.log('case                                                     median    min    max  ratio  peak MiB  mem ratio  objects  target');
for (const c of [floorCase, haCase, largeCase]) {
  const m = summary(c);
  const ratio = m.median / floor.median;
  const limit = c === haCase ? TARGETS.ha : c === largeCase ? TARGETS.large : undefined;
  const verdict = limit === undefined ? '' : `${ratio <= limit ? 'PASS' : 'MISS'} <= ${limit}x`;
  console.log(`${c.name.padEnd(56)} ${fmt(m.median)} ${fmt(m.min)} ${fmt(m.max)}  ${ratio.toFixed(2).padStart(5)}  ${m.rssMiB.toFixed(0).padStart(8)}  ${(m.rssMiB / floor.rssMiB).toFixed(2).padStart(9)}  ${String(m.objects ?? '-').padStart(7)}  ${verdict}`);
}

// Growth: the large case at several partition counts, same interleaving.
const growthCases = GROWTH_POINTS.map((partitions) => synthCase(`${partitions}`, 'large', String(partitions)));
measureInterleaved(growthCases);
const points = growthCases.map((c, i) => ({ partitions: GROWTH_POINTS[i], ...summary(c) }));
console.log(`\ngrowth with sensor partitions (large case, ${RUNS} rounds, median):`);
console.log('  partitions  median ms  objects  ms per added partition (from previous point)');
points.forEach((p, i) => {
  const previous = points[i - 1];
  const step = previous ? ((p.median - previous.median) / (p.partitions - previous.partitions)).toFixed(2) : '-';
  console.log(`  ${String(p.partitions).padStart(10)}  ${fmt(p.median, 9)}  ${String(p.objects).padStart(7)}  ${step.padStart(6)}`);
});
// Least-squares line through the medians; R² near 1 means the growth is linear.
const n = points.length;
const meanX = points.reduce((s, p) => s + p.partitions, 0) / n;
const meanY = points.reduce((s, p) => s + p.median, 0) / n;
const sxy = points.reduce((s, p) => s + (p.partitions - meanX) * (p.median - meanY), 0);
const sxx = points.reduce((s, p) => s + (p.partitions - meanX) ** 2, 0);
const syy = points.reduce((s, p) => s + (p.median - meanY) ** 2, 0);
const slope = sxy / sxx;
const objectsPerPartition = (points[n - 1].objects! - points[0].objects!) / (points[n - 1].partitions - points[0].partitions);
console.log(`  fit: ${(meanY - slope * meanX).toFixed(0)} ms + ${slope.toFixed(2)} ms per partition (${objectsPerPartition.toFixed(0)} objects each, ${(slope / objectsPerPartition).toFixed(2)} ms per object), R² ${((sxy * sxy) / (sxx * syy)).toFixed(3)}`);
