import { ApiObject, App, Chart } from 'cdk8s';
import { ENVIRONMENTS } from '../../environments';
import { applySyncWaves, JOB_STAGES, SYNC_STAGES, SYNC_WAVE_ANNOTATION, syncStage, syncWave } from '../../lib/policy/sync-waves';
import { architecture } from '../../lib/report/architecture';
import { ManifestObject } from '../../lib/report/failure-domains';
import { K8sObject, podTemplates, synth } from '../support/synth';

/** Every environment, plus ha with the key-load Job (it exists only when a keys Secret is named). */
const CASES: [string, K8sObject[]][] = [
  ...Object.entries(ENVIRONMENTS).map(([name, settings]): [string, K8sObject[]] => [name, synth(settings, name)]),
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
        expect({ user: key(object), dependency: key(dependency), before: waveOf(dependency) < waveOf(object) })
          .toEqual({ user: key(object), dependency: key(dependency), before: true });
      }
    }
  });

  test('a Service is in the wave of the workloads behind it', () => {
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const selector = Object.entries(service.spec.selector ?? {});
      for (const { object, template } of podTemplates(objects)) {
        if (selector.every(([k, v]) => template.metadata?.labels?.[k] === v)) {
          expect({ service: service.metadata.name, workload: key(object), wave: waveOf(service) })
            .toEqual({ service: service.metadata.name, workload: key(object), wave: waveOf(object) });
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
        (syncStage(subject(from)) === 'processes' && syncStage(subject(to)) === 'processes')
        // A datastore's init Job shares its wave: MongoDB's member 0 is ready only after the
        // Job initiated the set, so Argo CD would wait forever for a later-wave Job.
        || (from.kind === 'Job' && from.metadata.name === `${to.metadata.name}-init`);
      const ok = sameWaveAllowed ? waveOf(from) >= waveOf(to) : waveOf(from) > waveOf(to);
      expect({ edge: `${edge.from} -> ${edge.to}`, ok }).toEqual({ edge: `${edge.from} -> ${edge.to}`, ok: true });
    }
  });

  test('init Jobs share their datastore\'s wave; st2 content Jobs follow every st2 process', () => {
    for (const job of objects.filter((o) => o.kind === 'Job' && o.metadata.name.endsWith('-init'))) {
      const set = byName(objects, 'StatefulSet', job.metadata.name.replace(/-init$/, ''))!;
      expect(waveOf(job)).toBe(waveOf(set));
    }
    const processes = objects.filter((o) => o.kind === 'Deployment' && syncStage(subject(o)) === 'processes');
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
      expect([job.metadata.name, job.metadata.annotations]).toMatchObject([job.metadata.name, { 'argocd.argoproj.io/hook': phase, 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' }]);
    }
  });
});

function subject(object: K8sObject) {
  return { kind: object.kind, name: object.metadata.name, component: object.metadata.labels?.['app.kubernetes.io/component'] };
}

describe('syncStage', () => {
  test('places objects by kind, Job name and component role', () => {
    expect(syncStage({ kind: 'Namespace', name: 'stackstorm' })).toBe('foundation');
    expect(syncStage({ kind: 'NetworkPolicy', name: 'st2api', component: 'policy' })).toBe('foundation');
    expect(syncStage({ kind: 'StatefulSet', name: 'zookeeper', component: 'coordination' })).toBe('datastores');
    expect(syncStage({ kind: 'HorizontalPodAutoscaler', name: 'st2api', component: 'api' })).toBe('processes');
    expect(syncStage({ kind: 'Service', name: 'nginx', component: 'edge' })).toBe('edge');
    expect(syncWave({ kind: 'Job', name: 'st2-load-keys', component: 'job' })).toBe(SYNC_STAGES.content);
    expect(Object.keys(JOB_STAGES)).toEqual(expect.arrayContaining(['mongodb-init', 'postgresql-init', 'mistral-db-manage', 'st2-register-content']));
  });

  test('an unplaced Job or role throws instead of landing in a default wave', () => {
    expect(() => syncStage({ kind: 'Job', name: 'st2-apply-rbac', component: 'job' })).toThrow(/Job st2-apply-rbac has no sync wave: add it to JOB_STAGES/);
    expect(() => syncStage({ kind: 'Deployment', name: 'thing', component: 'mystery' })).toThrow(/Deployment thing \(component mystery\) has no sync wave/);
    expect(() => syncStage({ kind: 'Deployment', name: 'thing' })).toThrow(/component unset/);
  });

  test('a wave set anywhere else is refused', () => {
    const chart = new Chart(new App(), 'test');
    new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', annotations: { [SYNC_WAVE_ANNOTATION]: '7' } } });
    expect(() => applySyncWaves(chart)).toThrow(/ConfigMap x already has argocd.argoproj.io\/sync-wave=7/);
  });
});

describe('dependencies no manifest reference shows', () => {
  test('the key-load Job calls st2api and st2auth, so it runs after them', () => {
    const [, objects] = CASES.find(([name]) => name === 'ha+load-keys')!;
    const edges = architecture(objects as ManifestObject[]).edges.filter((e) => e.from === 'st2-load-keys').map((e) => e.to);
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
