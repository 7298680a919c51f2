/**
 * `npm run bench`: wall time and peak memory of whole synth runs, each in a fresh process
 * started the way `npm run synth` starts (what a user or CI pays), beside the floor: a
 * process that only loads cdk8s, cdk8s-plus-27 and yaml.
 *
 * Cases run interleaved, one of each per round, so a busy machine slows every case alike;
 * a case's ratio is the median of its per-round ratios to the floor of the same round
 * (paired, so a slow stretch of the machine cancels out instead of landing in one case's
 * median only). One warm-up round (it also fills the code cache of tools/run-bundle.js, as
 * any earlier synth on the machine does), then BENCH_RUNS measured rounds (default 9; the
 * growth series uses at most 5). Each synth writes into a fresh folder that the bench
 * creates and removes outside the measured time. Prints PASS/MISS per target; it does not
 * fail on a miss, the numbers are the point.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { packageRoot } from '../lib/common/shipped-files';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const GROWTH_RUNS = Math.min(RUNS, 5);
const root = packageRoot();
const scratch = path.join(root, 'node_modules', '.cache', 'bench');
const GROWTH_POINTS = [1, 16, 64, 128, 256];
const TARGETS = { ha: 1.5, all: 2.5, large: 2 };
const LOAD_LIBRARIES =
  "require('cdk8s'); require('cdk8s-plus-27'); require('yaml'); process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }))";

interface Sample {
  ms: number;
  rssKiB: number;
  objects?: number;
}
interface Case {
  name: string;
  args: string[];
  samples: Sample[];
  synth?: boolean;
  env?: NodeJS.ProcessEnv;
  bundle?: string;
}
interface Summary {
  median: number;
  min: number;
  max: number;
  rssMiB: number;
  objects?: number;
}

function run(c: Case): Sample {
  // On the project's disk, where `npm run synth` writes (not the system temp folder).
  fs.mkdirSync(scratch, { recursive: true });
  const out = fs.mkdtempSync(path.join(scratch, 'run-'));
  try {
    const args = c.synth ? [...c.args, out] : c.args;
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...c.env } });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed:\n${result.stderr}`);
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!);
    return { ms, rssKiB: report.maxRssKiB, objects: report.objects };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/**
 * How `npm run synth` builds and starts Node (package.json: `esbuild ... && node <flags>
 * tools/run-bundle.js build/app/main.js`), so the measured synth starts exactly as a user's
 * does: the same bundle build ahead, the same V8 flags and launcher, running the bench
 * target's bundle instead of main's.
 */
function synthStart(): { bundle: string; flags: string[]; launcher: string } {
  const command: string = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.synth;
  const run = command.split('&&').pop()!.trim().split(/\s+/);
  if (run[0] !== 'node' || run[run.length - 1] !== 'build/app/main.js' || run[run.length - 2] !== 'tools/run-bundle.js') {
    throw new Error(`bench: expected "... && node <flags> tools/run-bundle.js build/app/main.js" as the synth script, found "${command}"`);
  }
  return { bundle: command.split('&&')[0].trim(), flags: run.slice(1, -2), launcher: run[run.length - 2] };
}
const SYNTH_START = synthStart();
const BENCH_BUNDLE = path.join(root, 'build', 'app', 'scripts', 'bench-target.js');

/**
 * Each case runs its own copy of the bench target's bundle: the code cache holds what the
 * run that wrote it compiled, so a case sharing one with another would run on a cache made
 * by a different synth. A user's `npm run synth` always runs main's bundle, whose cache its
 * own earlier runs wrote; a copy per case (filled by its warm-up run) is that situation.
 */
function synthCase(name: string, which: 'ha' | 'ha-cdk8s-writer' | 'all' | 'large' | 'named', partitions = 0, env: NodeJS.ProcessEnv = {}): Case {
  const bundle = path.join(scratch, 'bundles', `${which}-${partitions}${env.RUN_BUNDLE_CACHE === 'off' ? '-uncached' : ''}.js`);
  return { name, args: [...SYNTH_START.flags, SYNTH_START.launcher, bundle, which, String(partitions)], samples: [], synth: true, env, bundle };
}

/** One warm-up round, then `rounds` rounds of every case in turn. */
function measureInterleaved(cases: Case[], rounds = RUNS): void {
  for (const c of cases) {
    if (!c.bundle) continue;
    fs.mkdirSync(path.dirname(c.bundle), { recursive: true });
    fs.copyFileSync(BENCH_BUNDLE, c.bundle);
  }
  for (const c of cases) run(c);
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) c.samples.push(run(c));
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median of `c`'s time over the floor's time in the same round. */
function pairedRatio(c: Case, floor: Case): number {
  return median(c.samples.map((sample, round) => sample.ms / floor.samples[round].ms));
}

function summary(c: Case): Summary {
  const times = c.samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    median: median(times),
    min: times[0],
    max: times[times.length - 1],
    rssMiB: Math.max(...c.samples.map((s) => s.rssKiB)) / 1024,
    objects: c.samples[0].objects,
  };
}

const floorCase: Case = { name: 'floor (load cdk8s, cdk8s-plus-27, yaml)', args: ['-e', LOAD_LIBRARIES], samples: [] };
const haCase = synthCase('ha environment', 'ha');
// The one piece of start-up machinery we keep (tools/run-bundle.js, README "Performance")
// has to earn its keep: the same bundle, compiled afresh on every run.
const haUncachedCase = synthCase('  same, without the code cache (info)', 'ha', 0, { RUN_BUNDLE_CACHE: 'off' });
// So has the manifest writer of lib/synth.ts: the same files written by cdk8s's app.synth().
const haCdk8sWriterCase = synthCase('  same, files written by app.synth() (info)', 'ha-cdk8s-writer');
const allCase = synthCase('every environment in environments/ (what npm run synth does)', 'all');
const largeCase = synthCase('large (256 partitions, 64 runners, 5-member datastores)', 'large', 256);

console.log(
  `synth benchmark: ${RUNS} interleaved rounds after a warm-up, node ${process.version}, ${os.cpus().length} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
// The bundle is built ahead, as `npm run synth` does before it runs it.
const bundled = spawnSync(SYNTH_START.bundle, {
  cwd: root,
  encoding: 'utf8',
  shell: true,
  env: { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}` },
});
if (bundled.status !== 0) throw new Error(`${SYNTH_START.bundle} failed:\n${bundled.stderr}`);
measureInterleaved([floorCase, haCase, haUncachedCase, haCdk8sWriterCase, allCase, largeCase]);
const floor = summary(floorCase);
const fmt = (n: number, width = 6) => n.toFixed(0).padStart(width);
console.log('case                                                     median    min    max  ratio  peak MiB  mem ratio  objects  target');
for (const c of [floorCase, haCase, haUncachedCase, haCdk8sWriterCase, allCase, largeCase]) {
  const m = summary(c);
  const ratio = pairedRatio(c, floorCase);
  const limit = c === haCase ? TARGETS.ha : c === allCase ? TARGETS.all : c === largeCase ? TARGETS.large : undefined;
  const verdict = limit === undefined ? '' : `${ratio <= limit ? 'PASS' : 'MISS'} <= ${limit}x`;
  console.log(
    `${c.name.padEnd(56)} ${fmt(m.median)} ${fmt(m.min)} ${fmt(m.max)}  ${ratio.toFixed(2).padStart(5)}  ${m.rssMiB.toFixed(0).padStart(8)}  ${(m.rssMiB / floor.rssMiB).toFixed(2).padStart(9)}  ${String(m.objects ?? '-').padStart(7)}  ${verdict}`,
  );
}
const ofMedians = (c: Case) => (summary(c).median / floor.median).toFixed(2);
console.log(
  `ratio: median of the per-round ratios to the floor; the ratio of the medians is ha ${ofMedians(haCase)}, all ${ofMedians(allCase)}, large ${ofMedians(largeCase)}`,
);

// Growth: the large case at several partition counts, both shapes, same interleaving.
// Hash by count is one StatefulSet whatever N is; named partitions are a Deployment each
// (plus one shared ConfigMap and NetworkPolicy), so they show the per-object cost.
const growthCases = GROWTH_POINTS.flatMap((partitions) => [
  synthCase(`hash ${partitions}`, 'large', partitions),
  synthCase(`named ${partitions}`, 'named', partitions),
]);
measureInterleaved(growthCases, GROWTH_RUNS);
console.log(`\ngrowth with sensor partitions (large case, ${GROWTH_RUNS} rounds, median ms / objects):`);
console.log('  partitions   hash by count (one StatefulSet)   named (a Deployment each)   ms per added named partition');
const series = (kind: string) => GROWTH_POINTS.map((partitions) => ({ partitions, ...summary(growthCases.find((c) => c.name === `${kind} ${partitions}`)!) }));
const hash = series('hash');
const named = series('named');
GROWTH_POINTS.forEach((partitions, i) => {
  const step = i === 0 ? '-' : ((named[i].median - named[i - 1].median) / (partitions - GROWTH_POINTS[i - 1])).toFixed(2);
  console.log(
    `  ${String(partitions).padStart(10)}   ${fmt(hash[i].median, 9)} ms ${String(hash[i].objects).padStart(5)} objects   ${fmt(named[i].median, 9)} ms ${String(named[i].objects).padStart(5)} objects   ${step.padStart(6)}`,
  );
});
// Least-squares line through the named medians; R² near 1 means the growth is linear.
const n = named.length;
const meanX = named.reduce((sum, p) => sum + p.partitions, 0) / n;
const meanY = named.reduce((sum, p) => sum + p.median, 0) / n;
const sxy = named.reduce((sum, p) => sum + (p.partitions - meanX) * (p.median - meanY), 0);
const sxx = named.reduce((sum, p) => sum + (p.partitions - meanX) ** 2, 0);
const syy = named.reduce((sum, p) => sum + (p.median - meanY) ** 2, 0);
const slope = sxy / sxx;
const objectsPerPartition = (named[n - 1].objects! - named[0].objects!) / (named[n - 1].partitions - named[0].partitions);
const hashSpread = Math.max(...hash.map((p) => p.median)) - Math.min(...hash.map((p) => p.median));
console.log(
  `  named fit: ${(meanY - slope * meanX).toFixed(0)} ms + ${slope.toFixed(2)} ms per partition (${objectsPerPartition.toFixed(0)} objects each, ${(slope / objectsPerPartition).toFixed(2)} ms per object), R² ${((sxy * sxy) / (sxx * syy)).toFixed(3)}`,
);
console.log(
  `  hash by count: medians within ${hashSpread.toFixed(0)} ms from 1 to ${GROWTH_POINTS[GROWTH_POINTS.length - 1]} partitions (the object count does not grow)`,
);
