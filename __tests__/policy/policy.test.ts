import { ALL_ENVIRONMENT_NAMES, environmentObjects } from '../support/environments';
import { K8sObject } from '../support/synth';
import { checkPolicies, RULES } from './rules';

const environments = ALL_ENVIRONMENT_NAMES;
const dist: Record<string, K8sObject[]> = Object.fromEntries(environments.map((environment) => [environment, environmentObjects(environment)]));

describe.each(environments)('%s meets every policy rule', (environment) => {
  test.each(RULES.map((r) => [r.id, r] as const))('%s', (_, r) => {
    expect(r.check(dist[environment])).toEqual([]);
  });
});

test('reports how much was checked', () => {
  const objects = environments.reduce((sum, environment) => sum + dist[environment].length, 0);
  const violations = environments.flatMap((environment) => checkPolicies(dist[environment]));
  // Printed for the record: objects of every environment, rules, and rule runs over them.
  console.log(
    `policy suite: ${objects} objects in ${environments.length} environments, ${RULES.length} rules, ${objects * RULES.length} object-rule checks, ${violations.length} violations`,
  );
  expect(violations).toEqual([]);
  expect(RULES.length).toBeGreaterThanOrEqual(15);
});

/** A deep copy of dist/ha to break. */
const ha = (): K8sObject[] => JSON.parse(JSON.stringify(dist.ha));
const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const podSpec = (objects: K8sObject[], kind: string, name: string) => find(objects, kind, name).spec.template.spec;
const main = (objects: K8sObject[], kind: string, name: string) => podSpec(objects, kind, name).containers[0];

/** For each rule, a deliberately broken copy of dist/ha that it must reject. */
const BROKEN: Record<string, (objects: K8sObject[]) => K8sObject[]> = {
  'pss-baseline': (o) => {
    podSpec(o, 'Deployment', 'st2api').hostNetwork = true;
    return o;
  },
  'pss-restricted': (o) => {
    main(o, 'Deployment', 'st2api').securityContext.capabilities = { drop: ['NET_RAW'] };
    return o;
  },
  'namespace-pod-security': (o) => {
    find(o, 'Namespace', 'stackstorm').metadata.labels!['pod-security.kubernetes.io/enforce'] = 'restricted';
    return o;
  },
  'read-only-root-filesystem': (o) => {
    main(o, 'Deployment', 'st2api').securityContext.readOnlyRootFilesystem = false;
    return o;
  },
  'service-account-token': (o) => {
    delete podSpec(o, 'Deployment', 'st2api').automountServiceAccountToken;
    return o;
  },
  pdb: (o) => {
    find(o, 'PodDisruptionBudget', 'st2api').spec = { ...find(o, 'PodDisruptionBudget', 'st2api').spec, maxUnavailable: undefined, minAvailable: 2 };
    return o;
  },
  spread: (o) => {
    delete podSpec(o, 'Deployment', 'st2api').topologySpreadConstraints;
    return o;
  },
  probes: (o) => {
    const c = main(o, 'Deployment', 'st2api');
    c.livenessProbe = c.readinessProbe;
    return o;
  },
  resources: (o) => {
    delete podSpec(o, 'Deployment', 'st2api').initContainers[0].resources.limits;
    return o;
  },
  'image-tag': (o) => {
    const c = main(o, 'Deployment', 'st2api');
    c.image = c.image.replace(/:[^:/]+$/, ':latest');
    return o;
  },
  selectors: (o) => {
    find(o, 'Service', 'st2api').spec.selector['app.kubernetes.io/name'] = 'st2-api';
    return o;
  },
  'statefulset-service': (o) => {
    delete find(o, 'Service', 'mongodb-headless').spec.clusterIP;
    return o;
  },
  'network-policy-selects': (o) => {
    find(o, 'NetworkPolicy', 'st2api').spec.podSelector.matchLabels['app.kubernetes.io/name'] = 'st2-api';
    return o;
  },
  'network-policy-coverage': (o) => {
    find(o, 'NetworkPolicy', 'default-deny').spec.policyTypes = ['Ingress'];
    find(o, 'NetworkPolicy', 'st2api').spec.policyTypes = ['Ingress'];
    return o;
  },
  'secret-env-literals': (o) => {
    main(o, 'Deployment', 'st2api').env = [{ name: 'ST2_API_KEY', value: 'hunter2' }];
    return o;
  },
};

test('every rule has a negative test', () => {
  expect(Object.keys(BROKEN).sort()).toEqual(RULES.map((r) => r.id).sort());
});

describe.each(RULES.map((r) => [r.id, r] as const))('%s rejects a broken copy of dist/ha', (ruleId, r) => {
  test('and only that copy', () => {
    expect(r.check(dist.ha)).toEqual([]);
    const violations = r.check(BROKEN[ruleId](ha()));
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.every((v) => v.rule === ruleId)).toBe(true);
  });
});

test('pss-restricted allows the documented exceptions only for their listed rules', () => {
  const rule = RULES.find((r) => r.id === 'pss-restricted')!;
  const objects = ha();
  // st2actionrunner is excepted from runAsNonRoot and capabilities, not from escalation.
  main(objects, 'Deployment', 'st2actionrunner').securityContext.allowPrivilegeEscalation = true;
  expect(rule.check(objects)).toEqual([
    expect.objectContaining({ object: 'Deployment/st2actionrunner', detail: 'st2actionrunner: allowPrivilegeEscalation not false' }),
  ]);
});

test("pss-restricted: a container-level runAsNonRoot false overrides the pod's true", () => {
  const rule = RULES.find((r) => r.id === 'pss-restricted')!;
  const objects = ha();
  main(objects, 'Deployment', 'st2api').securityContext.runAsNonRoot = false;
  expect(rule.check(objects).map((v) => v.detail)).toEqual(['st2api: runAsNonRoot not true']);
});

test('pss-baseline rejects hostPath and privileged too', () => {
  const rule = RULES.find((r) => r.id === 'pss-baseline')!;
  const objects = ha();
  podSpec(objects, 'Deployment', 'st2api').volumes.push({ name: 'host', hostPath: { path: '/' } });
  main(objects, 'Deployment', 'st2auth').securityContext.privileged = true;
  expect(
    rule
      .check(objects)
      .map((v) => v.detail)
      .sort(),
  ).toEqual(['hostPath volume host', 'st2auth: privileged']);
});

test('probes: MongoDB without a startup probe is rejected', () => {
  const rule = RULES.find((r) => r.id === 'probes')!;
  const objects = ha();
  delete main(objects, 'StatefulSet', 'mongodb').startupProbe;
  expect(rule.check(objects).map((v) => v.object)).toEqual(['StatefulSet/mongodb']);
});
