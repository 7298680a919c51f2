import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENTS } from '../../environments';
import { COMPONENT_PROFILES, NetworkPolicies, podSecurityLabels, podSecurityLevel, profileNamed } from '../../lib';
import { buildEnvironment } from '../../lib/synth';
import { find, synth } from '../support/synth';
import { ALL_ENVIRONMENT_NAMES, ALL_ENVIRONMENTS, environmentObjects } from '../support/environments';

const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
/** The level of pods of these names, by the profiles their components declare. */
const levelOf = (names: string[]) => podSecurityLevel(names.map((name) => profileNamed(COMPONENT_PROFILES, name)));
const EXCEPTIONS = COMPONENT_PROFILES.filter((profile) => profile.securityException);

describe('podSecurityLevel', () => {
  test('restricted when no exception component is deployed', () => {
    expect(levelOf([])).toBe('restricted');
    expect(levelOf(['st2api', 'mongodb', 'nginx'])).toBe('restricted');
    // A read-only root filesystem is not a Pod Security rule: st2chatops stays restricted.
    expect(levelOf(['st2api', 'st2chatops'])).toBe('restricted');
  });
  test('baseline as soon as one root component is deployed', () => {
    expect(levelOf(['st2api', 'st2actionrunner'])).toBe('baseline');
    expect(levelOf(['st2web'])).toBe('baseline');
  });
  test('labels enforce, audit and warn alike', () => {
    expect(podSecurityLabels('baseline')).toEqual({
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/audit': 'baseline',
      'pod-security.kubernetes.io/warn': 'baseline',
    });
  });
});

test.each(ALL_ENVIRONMENT_NAMES)('%s: the namespace enforces baseline (st2web and st2actionrunner run as root)', (environment) => {
  const namespace = environmentObjects(environment).find((o) => o.kind === 'Namespace')!;
  expect(namespace.metadata.labels).toEqual(expect.objectContaining(podSecurityLabels('baseline')));
});

test('the level follows the deployment: without st2actionrunner, st2web alone still makes it baseline', () => {
  const objects = synth({ ...ENVIRONMENTS.dev, st2: { ...ENVIRONMENTS.dev.st2, actionRunner: { enabled: false } } });
  expect(find(objects, 'Namespace', 'stackstorm-dev').metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('baseline');
});

test('docs/operations.md mirrors every security exception (component, rules, level, reason)', () => {
  expect(EXCEPTIONS.map((profile) => profile.name).sort()).toEqual(['st2actionrunner', 'st2chatops', 'st2web']);
  for (const { name, securityException: exception } of EXCEPTIONS) {
    expect(docs).toContain(`| ${name} | ${exception!.rules.join(', ')} | ${exception!.level} | ${exception!.reason} |`);
  }
  const rows = docs.split('\n').filter((line) => /^\| st2\w+ \| [a-zA-Z, ]+ \| (baseline|restricted) \|/.test(line));
  expect(rows).toHaveLength(EXCEPTIONS.length);
});

test('docs/operations.md lists every edge the environments build, by its reason', () => {
  const withChatops = { ...ENVIRONMENTS.ha, st2: { ...ENVIRONMENTS.ha.st2, chatops: { enabled: true, adapterSecret: 'hubot' } } };
  const settings = [...Object.entries(ALL_ENVIRONMENTS), ['chatops', withChatops] as const];
  const reasons = new Set<string>();
  for (const [name, environment] of settings) {
    const app = buildEnvironment(name, environment);
    const policies = app.node.findAll().find((c): c is NetworkPolicies => c instanceof NetworkPolicies)!;
    for (const edge of policies.edges) reasons.add(edge.why);
  }
  expect(reasons.size).toBeGreaterThanOrEqual(15);
  for (const why of reasons) expect([why, docs.includes(`| ${why} |`)]).toEqual([why, true]);
});
