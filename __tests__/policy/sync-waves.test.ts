import { ApiObject, Chart, Testing } from 'cdk8s';
import { ENVIRONMENTS } from '../../environments';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { declareProfile } from '../../lib/common/component-profile';
import { applySyncWaves, SYNC_STAGES, SYNC_WAVE_ANNOTATION, syncStage } from '../../lib/policy/sync-waves';
import { architecture } from '../../lib/report/architecture';
import { ManifestObject } from '../../lib/report/failure-domains';
import { K8sObject, podTemplates, synth } from '../support/synth';
import { ALL_ENVIRONMENTS } from '../support/environments';

/** Every environment, plus ha with the key-load Job (it exists only when a keys Secret is named). */
const CASES: [string, K8sObject[]][] = [
  ...Object.entries(ALL_ENVIRONMENTS).map(([name, settings]): [string, K8sObject[]] => [name, synth(settings, name)]),
  ['ha+load-keys', synth({ ...ENVIRONMENTS.ha, st2: { ...ENVIRONMENTS.ha.st2, jobs: { keysSecret: 'st2-keys' } } }, 'ha')],
];

const waveOf = (object: K8sObject) => Number(object.metadata.annotations?.[SYNC_WAVE_ANNOTATION]);
const key = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;

function byName(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

function workloadByName(objects: readonly K8sObject[], name: string): K8sObject {
  const found = podTemplates(objects).find(({ object }) => object.metadata.name === name);
  if (!found) throw new Error(`no workload ${name}`);
  return found.object;
}

describe.each(CASES)('sync waves of %s', (_name, objects) => {
  test('every object has exactly one integer wave from SYNC_STAGES', () => {
    const waves = new Set<number>(Object.values(SYNC_STAGES));
    for (const object of objects) {
      const value = object.metadata.annotations?.[SYNC_WAVE_ANNOTATION];
      expect({ object: key(object), value }).toEqual({ object: key(object), value: expect.stringMatching(/^-?\d+$/) });
      expect(waves.has(Number(value))).toBe(true);
    }
  });

  test('the Namespace is in the first wave', () => {
    const namespace = objects.find((o) => o.kind === 'Namespace')!;
    expect(waveOf(namespace)).toBe(Math.min(...objects.map(waveOf)));
  });

  test('ConfigMaps, PVCs and ServiceAccounts come strictly before the pods that use them', () => {
    for (const { object, template } of podTemplates(objects)) {
      const spec = template.spec;
      const used: K8sObject[] = [];
      for (const volume of spec.volumes ?? []) {
        if (volume.configMap) used.push(byName(objects, 'ConfigMap', volume.configMap.name)!);
        if (volume.persistentVolumeClaim) used.push(byName(objects, 'PersistentVolumeClaim', volume.persistentVolumeClaim.claimName)!);
      }
      if (spec.serviceAccountName) used.push(byName(objects, 'ServiceAccount', spec.serviceAccountName)!);
      for (const dependency of used.filter(Boolean)) {
        expect({ user: key(object), dependency: key(dependency), before: waveOf(dependency) < waveOf(object) }).toEqual({
          user: key(object),
          dependency: key(dependency),
          before: true,
        });
      }
    }
  });

  test('a Service is in the wave of the workloads behind it', () => {
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const selector = Object.entries(service.spec.selector ?? {});
      for (const { object, template } of podTemplates(objects)) {
        if (selector.every(([k, v]) => template.metadata?.labels?.[k] === v)) {
          expect({ service: service.metadata.name, workload: key(object), wave: waveOf(service) }).toEqual({
            service: service.metadata.name,
            workload: key(object),
            wave: waveOf(object),
          });
        }
      }
    }
  });

  test('every connection goes to something applied earlier, except the allowed same-wave cases', () => {
    // Connections as the architecture picture reads them from the manifests: prepare wait
    // lists, st2.conf, nginx.conf, mistral.conf, Job environment.
    const { edges } = architecture(objects as ManifestObject[]);
    expect(edges.length).toBeGreaterThan(0);
    for (const edge of edges) {
      const from = workloadByName(objects, edge.from);
      const to = workloadByName(objects, edge.to);
      const sameWaveAllowed =
        // st2 processes call each other through Services resolved at request time.
        (waveOf(from) === SYNC_STAGES.processes && waveOf(to) === SYNC_STAGES.processes) ||
        // A datastore's init Job shares its wave: MongoDB's member 0 is ready only after the
        // Job initiated the set, so Argo CD would wait forever for a later-wave Job.
        (from.kind === 'Job' && from.metadata.name === `${to.metadata.name}-init`);
      const ok = sameWaveAllowed ? waveOf(from) >= waveOf(to) : waveOf(from) > waveOf(to);
      expect({ edge: `${edge.from} -> ${edge.to}`, ok }).toEqual({ edge: `${edge.from} -> ${edge.to}`, ok: true });
    }
  });

  test("init Jobs share their datastore's wave; st2 content Jobs follow every st2 process", () => {
    for (const job of objects.filter((o) => o.kind === 'Job' && o.metadata.name.endsWith('-init'))) {
      const set = byName(objects, 'StatefulSet', job.metadata.name.replace(/-init$/, ''))!;
      expect(waveOf(job)).toBe(waveOf(set));
    }
    const processes = objects.filter((o) => o.kind === 'Deployment' && waveOf(o) === SYNC_STAGES.processes);
    for (const job of objects.filter((o) => o.kind === 'Job' && o.metadata.name.startsWith('st2-'))) {
      expect(waveOf(job)).toBeGreaterThan(Math.max(...processes.map(waveOf)));
    }
  });

  test('a LoadBalancer Service is in the last wave, so a pending address holds nothing back', () => {
    const last = Math.max(...objects.map(waveOf));
    for (const service of objects.filter((o) => o.kind === 'Service' && o.spec.type === 'LoadBalancer')) {
      expect(waveOf(service)).toBe(last);
    }
  });

  test('hook Jobs keep their Argo CD hook annotations next to the wave', () => {
    // The smoke test checks the finished sync, so it is the one PostSync hook.
    for (const job of objects.filter((o) => o.kind === 'Job' && o.metadata.name !== 'mongodb-init' && o.metadata.name !== 'postgresql-init')) {
      const phase = job.metadata.name === 'st2-smoke-test' ? 'PostSync' : 'Sync';
      expect([job.metadata.name, job.metadata.annotations]).toMatchObject([
        job.metadata.name,
        { 'argocd.argoproj.io/hook': phase, 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' },
      ]);
    }
  });
});

describe('syncStage', () => {
  const chart = () => new Chart(Testing.app(), 'test');

  test('kinds nothing waits for go first, whatever the profile says; everything else follows its nearest declared profile', () => {
    const scope = chart();
    const component = new Construct(scope, 'Component');
    declareProfile(component, { name: 'thing', syncStage: 'datastores' });
    const inner = new Construct(component, 'Inner');
    declareProfile(inner, { name: 'thing-init', syncStage: 'schema' });
    const workload = new kplus.Deployment(component, 'Workload', { containers: [{ image: 'x', securityContext: { ensureNonRoot: false } }] });
    const job = new kplus.Job(inner, 'Job', { containers: [{ image: 'x', securityContext: { ensureNonRoot: false } }] });
    const config = new kplus.ConfigMap(component, 'Config');
    expect(syncStage(ApiObject.of(workload))).toBe('datastores');
    expect(syncStage(ApiObject.of(job))).toBe('schema');
    expect(syncStage(ApiObject.of(config))).toBe('foundation');
    applySyncWaves(scope);
    expect(workload.metadata.toJson().annotations?.[SYNC_WAVE_ANNOTATION]).toBe(String(SYNC_STAGES.datastores));
  });

  test('an object no profile places throws instead of landing in a default wave', () => {
    const scope = chart();
    new kplus.Deployment(new Construct(scope, 'Stray'), 'Workload', { containers: [{ image: 'x', securityContext: { ensureNonRoot: false } }] });
    expect(() => applySyncWaves(scope)).toThrow(
      /Deployment test-stray-workload-\w+ \(test\/Stray\/Workload\/Resource\) has no sync wave: declare its component's profile/,
    );
  });

  test('a wave set anywhere else is refused', () => {
    const scope = chart();
    new ApiObject(scope, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', annotations: { [SYNC_WAVE_ANNOTATION]: '7' } } });
    expect(() => applySyncWaves(scope)).toThrow(/ConfigMap x already has argocd.argoproj.io\/sync-wave=7/);
  });
});

describe('dependencies no manifest reference shows', () => {
  test('the key-load Job calls st2api and st2auth, so it runs after them', () => {
    const [, objects] = CASES.find(([name]) => name === 'ha+load-keys')!;
    const edges = architecture(objects as ManifestObject[])
      .edges.filter((e) => e.from === 'st2-load-keys')
      .map((e) => e.to);
    expect(edges).toEqual(expect.arrayContaining(['st2api', 'st2auth']));
  });

  test('Mistral: postgresql-init, then mistral-db-manage, then the Mistral processes', () => {
    const [, objects] = CASES.find(([name]) => name === 'ha-legacy-mistral')!;
    const wave = (kind: string, name: string) => waveOf(byName(objects, kind, name)!);
    expect(wave('Job', 'postgresql-init')).toBeLessThan(wave('Job', 'mistral-db-manage'));
    expect(wave('Job', 'mistral-db-manage')).toBeLessThan(wave('Deployment', 'mistral-api'));
    expect(wave('Job', 'mistral-db-manage')).toBeLessThan(wave('Deployment', 'mistral-server'));
  });
});
