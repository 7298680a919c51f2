import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { Chart, Testing } from 'cdk8s';
import { StackStormHaSettings } from '../../lib';
import { buildEnvironment } from '../../lib/synth';

/** A Kubernetes object as synthesized (plain JSON). */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  [key: string]: any;
};

/** Synthesizes settings in memory (no files) and returns every object. */
export function synth(settings: StackStormHaSettings = {}, name = 'test'): K8sObject[] {
  const app = buildEnvironment(name, settings, path.join('/nonexistent', name));
  return app.charts.flatMap((chart) => chart.toJson()) as K8sObject[];
}

/** The release identity the construct tests build in. */
export const TEST_IDENTITY = { namespace: 'st2-test', instance: 'stackstorm' } as const;

/**
 * The one builder of the construct tests: a Chart from cdk8s's `Testing` app in
 * TEST_IDENTITY's namespace, without name hashes (our objects carry their own stable names),
 * with whatever `build` adds to it. Returns what `build` returned and the Chart's objects
 * as `Testing.synth` gives them (validation included).
 */
export function synthConstruct<T>(build: (chart: Chart) => T, namespace: string = TEST_IDENTITY.namespace): { construct: T; objects: K8sObject[] } {
  const chart = new Chart(Testing.app(), 'test', { namespace, disableResourceNameHashes: true });
  const construct = build(chart);
  return { construct, objects: Testing.synth(chart) as K8sObject[] };
}

const root = path.join(__dirname, '..', '..');
/** What a cached parse depends on besides dist/ itself: bump PARSE_FORMAT when readDist's parsing changes. */
const PARSE_FORMAT = 'parseAllDocuments().toJS() v1';
const yamlVersion: string = JSON.parse(fs.readFileSync(require.resolve('yaml/package.json'), 'utf8')).version;

/**
 * Reads every object of a committed environment in dist/. A test run reads some
 * environment ~25 times across its files (each a YAML parse of ~75 files, ~4.5 s in all),
 * so the parse is kept on disk under node_modules/.cache, keyed by a hash of the files'
 * names and bytes, the yaml version and PARSE_FORMAT: any change to dist/ is parsed afresh.
 * JSON holds what these manifests contain (strings, integers, booleans, null, maps,
 * lists); a `.nan` or `-0` would not survive it, and the synth writes neither.
 */
export function readDist(environment: string): K8sObject[] {
  const dir = path.join(root, 'dist', environment);
  const files = fs
    .readdirSync(dir)
    .sort()
    .map((name) => ({ name, text: fs.readFileSync(path.join(dir, name), 'utf8') }));
  const hash = createHash('sha256').update(`${PARSE_FORMAT}\0${yamlVersion}`);
  for (const file of files) hash.update(`\0${file.name}\0${file.text}`);
  const cacheDir = path.join(root, 'node_modules', '.cache', 'dist-parsed');
  const cached = path.join(cacheDir, `${environment}-${hash.digest('hex').slice(0, 32)}.json`);
  try {
    return JSON.parse(fs.readFileSync(cached, 'utf8'));
  } catch {
    // not parsed yet
  }
  const objects = files.flatMap((file) => parseAllDocuments(file.text).map((doc) => doc.toJS() as K8sObject));
  // Write then rename: another jest worker may read the same file at the same time.
  const temporary = `${cached}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(temporary, JSON.stringify(objects));
    fs.renameSync(temporary, cached);
    // Parses of older contents of this environment are dead weight.
    for (const name of fs.readdirSync(cacheDir)) {
      if (name.startsWith(`${environment}-`) && /^[0-9a-f]{32}\.json$/.test(name.slice(environment.length + 1)) && path.join(cacheDir, name) !== cached) {
        fs.rmSync(path.join(cacheDir, name), { force: true });
      }
    }
  } catch {
    // A read-only checkout runs uncached.
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // no folder to leave it in
    }
  }
  return objects;
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

/** Objects that carry a pod template, with the template. */
export function podTemplates(objects: readonly K8sObject[]): { object: K8sObject; template: any }[] {
  return objects.flatMap((object) => {
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(object.kind)) return [{ object, template: object.spec.template }];
    if (object.kind === 'CronJob') return [{ object, template: object.spec.jobTemplate.spec.template }];
    return [];
  });
}

/** The container named `name` (or the first) of a workload. */
export function container(object: K8sObject, name?: string): any {
  const spec = object.spec.template.spec;
  return name ? spec.containers.find((c: any) => c.name === name) : spec.containers[0];
}
