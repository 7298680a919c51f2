/**
 * `npm run bench`: wall time and peak memory of whole synth runs, each in a fresh process
 * (what a user or CI pays), beside the floor: a process that only loads cdk8s,
 * cdk8s-plus-27 and yaml. One warm-up, then RUNS measured runs per case.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const root = path.join(__dirname, '..');
const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');

interface Sample { ms: number; rssKiB: number; objects?: number }

function run(args: string[]): Sample {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed:\n${result.stderr}`);
  const report = JSON.parse(result.stdout.trim().split('\n').pop()!);
  return { ms, rssKiB: report.maxRssKiB, objects: report.objects };
}

const floorArgs = ['-e', "require('cdk8s'); require('cdk8s-plus-27'); require('yaml'); process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }))"];

function measure(args: string[]): { median: number; min: number; max: number; rssMiB: number; objects?: number } {
  run(args);
  const samples = Array.from({ length: RUNS }, () => run(args));
  const times = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)],
    min: times[0],
    max: times[times.length - 1],
    rssMiB: Math.max(...samples.map((s) => s.rssKiB)) / 1024,
    objects: samples[0].objects,
  };
}

const floor = measure(floorArgs);
const rows: [string, ReturnType<typeof measure>][] = [['floor (load cdk8s, cdk8s-plus-27, yaml)', floor]];
rows.push(['ha environment', measure([tsx, 'scripts/bench-target.ts', 'ha'])]);
rows.push(['large (256 partitions, 64 runners, 5-member datastores)', measure([tsx, 'scripts/bench-target.ts', 'large', '256'])]);

const fmt = (n: number) => n.toFixed(0).padStart(6);
console.log(`synth benchmark: ${RUNS} runs after a warm-up, node ${process.version}, ${require('os').cpus().length} cores`);
console.log('case                                                       median    min    max  ratio  peak MiB  mem ratio  objects');
for (const [name, m] of rows) {
  console.log(`${name.padEnd(56)} ${fmt(m.median)} ${fmt(m.min)} ${fmt(m.max)}  ${(m.median / floor.median).toFixed(2).padStart(5)}  ${m.rssMiB.toFixed(0).padStart(8)}  ${(m.rssMiB / floor.rssMiB).toFixed(2).padStart(9)}  ${String(m.objects ?? '-').padStart(7)}`);
}
console.log('\ngrowth with sensor partitions (large case, median ms):');
for (const partitions of [1, 16, 64, 128, 256]) {
  const m = measure([tsx, 'scripts/bench-target.ts', 'large', String(partitions)]);
  console.log(`  ${String(partitions).padStart(4)} partitions: ${fmt(m.median)} ms, ${m.objects} objects`);
}
