import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { ENVIRONMENTS } from '../../environments';
import { validateAll } from '../support/k8s-schema';
import { K8sObject, readDist } from '../support/synth';

/**
 * The GitOps examples under deploy/. Argo CD's Application and Flux's GitRepository and
 * Kustomization are custom resources whose schemas (CRDs) are not available offline, and
 * validateAll only knows the built-in Kubernetes kinds; so this is validation where a
 * schema is unavailable: parse every document and check the fields that make the example
 * work against this repository (apiVersion and kind, the path is a synthesized environment,
 * the namespace matches it, the sync and health options the README relies on).
 */

const ROOT = path.join(__dirname, '..', '..');

function documents(file: string): any[] {
  const parsed = parseAllDocuments(fs.readFileSync(path.join(ROOT, file), 'utf8'));
  for (const doc of parsed) expect(doc.errors).toEqual([]);
  return parsed.map((doc) => doc.toJS());
}

function one(docs: any[], apiVersion: string, kind: string): any {
  const found = docs.filter((d) => d.apiVersion === apiVersion && d.kind === kind);
  expect(found).toHaveLength(1);
  return found[0];
}

/** `dist/ha` or `./dist/ha` -> the environment name, checking it is a synthesized one. */
function environmentOf(distPath: string): string {
  const normalized = path.posix.normalize(distPath);
  const match = /^dist\/([a-z0-9-]+)$/.exec(normalized);
  expect(match).not.toBeNull();
  const environment = match![1];
  expect(Object.keys(ENVIRONMENTS)).toContain(environment);
  expect(fs.statSync(path.join(ROOT, normalized)).isDirectory()).toBe(true);
  return environment;
}

const distCache = new Map<string, K8sObject[]>();
function dist(environment: string): K8sObject[] {
  if (!distCache.has(environment)) distCache.set(environment, readDist(environment));
  return distCache.get(environment)!;
}

/** The namespace every object of an environment is in, read from the committed output. */
function namespaceOf(environment: string): string {
  const objects = dist(environment);
  const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
  expect(namespaces).toHaveLength(1);
  for (const object of objects.filter((o) => o.kind !== 'Namespace')) expect(object.metadata.namespace).toBe(namespaces[0]);
  expect(namespaces[0]).toBe(ENVIRONMENTS[environment].namespace ?? 'stackstorm');
  return namespaces[0];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

describe('deploy/argocd/application.yaml', () => {
  const docs = documents('deploy/argocd/application.yaml');
  const app = one(docs, 'argoproj.io/v1alpha1', 'Application');

  test('is one Application with a valid name', () => {
    expect(docs).toHaveLength(1);
    expect(app.metadata.name).toMatch(DNS_LABEL);
    expect(app.metadata.namespace).toMatch(DNS_LABEL);
    expect(app.spec.project).toBeTruthy();
  });

  test("points at a synthesized environment, plain directory, in that environment's namespace", () => {
    expect(app.spec.source.repoURL).toMatch(/^https:\/\/\S+\.git$/);
    expect(app.spec.source.targetRevision).toBeTruthy();
    const environment = environmentOf(app.spec.source.path);
    expect(environment).toBe('ha');
    expect(app.spec.source.directory).toEqual({ recurse: false });
    expect(app.spec.source.helm ?? app.spec.source.kustomize).toBeUndefined();
    expect(app.spec.destination.server).toBe('https://kubernetes.default.svc');
    expect(app.spec.destination.namespace).toBe(namespaceOf(environment));
  });

  test('syncs automatically with prune and self-heal, server-side, without creating the namespace', () => {
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.spec.syncPolicy.syncOptions).toEqual(expect.arrayContaining(['ServerSideApply=true', 'CreateNamespace=false']));
    // CreateNamespace=false is only right because the output carries its Namespace.
    expect(dist('ha').some((o) => o.kind === 'Namespace')).toBe(true);
    expect(app.spec.syncPolicy.retry.limit).toBeGreaterThan(0);
  });
});

describe('deploy/flux/kustomization.yaml', () => {
  const docs = documents('deploy/flux/kustomization.yaml');
  const source = one(docs, 'source.toolkit.fluxcd.io/v1', 'GitRepository');
  const kustomization = one(docs, 'kustomize.toolkit.fluxcd.io/v1', 'Kustomization');
  const argo = documents('deploy/argocd/application.yaml')[0];

  test('is a GitRepository and a Kustomization that refers to it', () => {
    expect(docs).toHaveLength(2);
    for (const doc of docs) expect(doc.metadata.name).toMatch(DNS_LABEL);
    expect(kustomization.spec.sourceRef).toEqual({ kind: 'GitRepository', name: source.metadata.name });
    expect(kustomization.metadata.namespace).toBe(source.metadata.namespace);
    expect(source.spec.url).toBe(argo.spec.source.repoURL);
    expect(source.spec.ref.branch).toBe(argo.spec.source.targetRevision);
  });

  test('applies a synthesized environment that the source does not ignore', () => {
    const environment = environmentOf(kustomization.spec.path);
    expect(environment).toBe('ha');
    // The ignore rules keep only dist/: the path must be under what is kept.
    const kept = source.spec.ignore
      .split('\n')
      .filter((line: string) => line.startsWith('!'))
      .map((line: string) => line.slice(2));
    expect(kept.some((dir: string) => `dist/${environment}/`.startsWith(dir))).toBe(true);
    // Objects keep their own namespace: no override that could disagree with the output.
    expect(kustomization.spec.targetNamespace).toBeUndefined();
    namespaceOf(environment);
  });

  test('prunes, waits for health (Jobs included) with a bounded timeout', () => {
    expect(kustomization.spec.prune).toBe(true);
    expect(kustomization.spec.wait).toBe(true);
    expect(kustomization.spec.timeout).toMatch(/^\d+(s|m|h)$/);
    expect(kustomization.spec.interval).toMatch(/^\d+(s|m|h)$/);
  });
});

test('the built-in schema validator cannot check these kinds (why the checks above are by hand)', () => {
  const app = documents('deploy/argocd/application.yaml')[0];
  expect(validateAll([app]).join('\n')).toMatch(/Application|argoproj|unknown|no schema/i);
});
