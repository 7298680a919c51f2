import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENTS } from '../environments';
import { validateAll } from './support/k8s-schema';
import { podTemplates, readDist, synth } from './support/synth';

const DIST = path.join(__dirname, '..', 'dist');
const environments = Object.keys(ENVIRONMENTS).sort();

test('dist/ holds exactly one folder per environment', () => {
  expect(fs.readdirSync(DIST).sort()).toEqual(environments);
});

describe.each(environments)('dist/%s', (environment) => {
  const objects = readDist(environment);

  test('matches a fresh in-memory synth of the same settings', () => {
    const key = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;
    const byKey = (a: { kind: string; metadata: { name: string } }, b: { kind: string; metadata: { name: string } }) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
    const fresh = synth(ENVIRONMENTS[environment], environment).sort(byKey);
    const committed = [...objects].sort(byKey);
    expect(committed.map(key)).toEqual(fresh.map(key));
    expect(committed).toEqual(fresh);
  });

  test('every object is valid against Kubernetes 1.27 and 1.36 (strict)', () => {
    expect(validateAll(objects)).toEqual([]);
  });

  test('every object has the six recommended labels and no hashed names', () => {
    for (const object of objects) {
      const labels = object.metadata.labels ?? {};
      for (const key of ['name', 'instance', 'component', 'part-of', 'version', 'managed-by']) {
        expect([`${object.kind}/${object.metadata.name}`, key, labels[`app.kubernetes.io/${key}`]]).toEqual([
          `${object.kind}/${object.metadata.name}`,
          key,
          expect.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/),
        ]);
      }
      expect(labels['app.kubernetes.io/managed-by']).toBe('cdk8s');
      expect(labels['app.kubernetes.io/part-of']).toBe('stackstorm');
      expect(object.metadata.name).not.toMatch(/-[0-9a-f]{8}$/);
    }
  });

  test('every pod template carries the labels of its workload and is selected by them', () => {
    for (const { object, template } of podTemplates(objects)) {
      const podLabels = template.metadata.labels;
      expect(podLabels).toEqual(object.metadata.labels);
      if (object.kind !== 'Job') {
        for (const [key, value] of Object.entries(object.spec.selector.matchLabels)) expect(podLabels[key]).toBe(value);
      }
    }
  });

  test('every namespaced object is in the environment namespace; the Namespace itself has none', () => {
    const namespace = ENVIRONMENTS[environment].namespace ?? 'stackstorm';
    for (const object of objects) {
      if (object.kind === 'Namespace') {
        expect(object.metadata.name).toBe(namespace);
        expect(object.metadata.namespace).toBeUndefined();
      } else {
        expect([object.kind, object.metadata.name, object.metadata.namespace]).toEqual([object.kind, object.metadata.name, namespace]);
      }
    }
  });

  test('every Service selects the pods of some workload and targets a port they declare', () => {
    const templates = podTemplates(objects);
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const selector = service.spec.selector as Record<string, string>;
      const matching = templates.filter(({ template }) => Object.entries(selector).every(([k, v]) => template.metadata.labels[k] === v));
      expect([service.metadata.name, matching.length > 0]).toEqual([service.metadata.name, true]);
      const declared = matching.flatMap(({ template }) =>
        template.spec.containers.flatMap((c: any) => (c.ports ?? []).flatMap((p: any) => [p.containerPort, p.name])),
      );
      // A headless Service without ports only names a StatefulSet's pods (sensor partitions).
      if (!service.spec.ports) expect([service.metadata.name, service.spec.clusterIP]).toEqual([service.metadata.name, 'None']);
      for (const port of service.spec.ports ?? []) expect(declared).toContain(port.targetPort);
    }
  });

  test('cdk8s-plus defaults are never left to chance', () => {
    for (const { object, template } of podTemplates(objects)) {
      for (const c of [...template.spec.containers, ...(template.spec.initContainers ?? [])]) {
        const where = `${object.kind}/${object.metadata.name}/${c.name}`;
        expect([where, c.imagePullPolicy]).toEqual([where, 'IfNotPresent']);
        expect([where, c.image]).toEqual([where, expect.not.stringMatching(/:latest$|^[^:]*$/)]);
        // cdk8s-plus would fill in 1 CPU / 512Mi-2Gi when none were given.
        expect([where, c.resources.requests.cpu]).not.toEqual([where, '1000m']);
        expect([where, c.resources.limits.memory]).not.toEqual([where, '2048Mi']);
        expect([where, typeof c.securityContext.runAsUser]).toEqual([where, 'number']);
      }
      expect(template.metadata.labels['cdk8s.io/metadata.addr']).toBeUndefined();
    }
  });
});
