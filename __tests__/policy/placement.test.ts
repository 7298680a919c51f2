/**
 * placement: nodeSelector, tolerations, priorityClassName and spreading reach every pod we
 * create, Jobs included; a workload's own placement overrides the global one key by key.
 */
import { ENVIRONMENTS } from '../../environments';
import { StackStormHaSettings } from '../../lib';
import { failureDomainReport } from '../../lib/report/failure-domains';
import { COMPONENT_PROFILES } from '../../lib/stackstorm-ha';
import { expectSettingError } from '../support/errors';
import { validateAll } from '../support/k8s-schema';
import { K8sObject, podTemplates, synth } from '../support/synth';

const GLOBAL = {
  nodeSpread: 'required',
  zoneSpread: 'required',
  nodeSelector: { pool: 'automation' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'automation', effect: 'NoSchedule' }],
  priorityClassName: 'platform-critical',
} as const;
const legacy = ENVIRONMENTS['ha-legacy-mistral'];
const settings: StackStormHaSettings = {
  ...legacy,
  placement: GLOBAL,
  st2: { ...legacy.st2, api: { placement: { nodeSelector: { pool: 'api' } } } },
  datastores: {
    ...legacy.datastores,
    mongodb: { ...legacy.datastores?.mongodb, inCluster: { placement: { priorityClassName: 'database-critical', tolerations: [] } } },
  },
  edge: { ...legacy.edge, placement: { zoneSpread: 'preferred' } },
};
const objects = synth(settings);
const pod = (name: string) => podTemplates(objects).find(({ object }) => object.metadata.name === name)!.template.spec;

test('every pod template, Jobs included, gets the global placement unless its own overrides it', () => {
  const templates = podTemplates(objects);
  expect(templates.map(({ object }) => object.kind)).toEqual(expect.arrayContaining(['Deployment', 'StatefulSet', 'Job']));
  for (const { object, template } of templates) {
    const spec = template.spec;
    const name = object.metadata.name;
    const expected = {
      nodeSelector: name === 'st2api' ? { pool: 'api' } : GLOBAL.nodeSelector,
      priorityClassName: name === 'mongodb' ? 'database-critical' : GLOBAL.priorityClassName,
      tolerations: name === 'mongodb' ? undefined : GLOBAL.tolerations,
    };
    expect([name, spec.nodeSelector, spec.priorityClassName, spec.tolerations]).toEqual([
      name,
      expected.nodeSelector,
      expected.priorityClassName,
      expected.tolerations,
    ]);
  }
  expect(validateAll(objects)).toEqual([]);
});

test("the init Job takes the global placement, not its datastore's", () => {
  expect(pod('mongodb-init').priorityClassName).toBe('platform-critical');
  expect(pod('mongodb-init').tolerations).toEqual(GLOBAL.tolerations);
});

test('required zone spread is a hard constraint, and the failure-domain report counts zone loss as survived', () => {
  const zone = (spec: any) => (spec.topologySpreadConstraints ?? []).find((c: any) => c.topologyKey === 'topology.kubernetes.io/zone');
  expect(zone(pod('st2api')).whenUnsatisfiable).toBe('DoNotSchedule');
  expect(zone(pod('nginx')).whenUnsatisfiable).toBe('ScheduleAnyway'); // its own zoneSpread: preferred
  const report = failureDomainReport(objects as never, COMPONENT_PROFILES);
  expect(report.components.find((c) => c.name === 'st2api')!.survives.zoneLoss.outcome).toBe('yes');
});

test('zoneSpread: true keeps meaning preferred', () => {
  const spec = podTemplates(synth({ ...ENVIRONMENTS.ha, placement: { zoneSpread: true } })).find(({ object }) => object.metadata.name === 'st2api')!.template
    .spec;
  expect(spec.topologySpreadConstraints.find((c: any) => c.topologyKey === 'topology.kubernetes.io/zone').whenUnsatisfiable).toBe('ScheduleAnyway');
});

test('without placement keys no pod gets a node selector, tolerations or a priority class', () => {
  for (const { template } of podTemplates(synth(ENVIRONMENTS.ha) as K8sObject[])) {
    expect([template.spec.nodeSelector, template.spec.tolerations, template.spec.priorityClassName]).toEqual([undefined, undefined, undefined]);
  }
});

describe('bad placement', () => {
  test.each([
    [{ placement: { nodeSelector: { 'bad key!': 'x' } } }, 'placement.nodeSelector', 'is not a label key'],
    [{ placement: { nodeSelector: { pool: 'has space' } } }, 'placement.nodeSelector.pool', 'is not a label value'],
    [{ placement: { tolerations: [{ value: 'x' }] } }, 'placement.tolerations[0].key', 'an Equal toleration names no key'],
    [
      { placement: { tolerations: [{ key: 'a', operator: 'Exists', value: 'x' }] } },
      'placement.tolerations[0].value',
      'an Exists toleration matches any value',
    ],
    [
      { placement: { tolerations: [{ key: 'a', value: 'b', effect: 'NoSchedule', tolerationSeconds: 30 }] } },
      'placement.tolerations[0].tolerationSeconds',
      'NoExecute taints only',
    ],
    [{ placement: { priorityClassName: 'Platform Critical' } }, 'placement.priorityClassName', 'is not a PriorityClass name'],
    [{ st2: { api: { placement: { priorityClassName: 'X' } } } }, 'st2.api.placement.priorityClassName', 'is not a PriorityClass name'],
    [{ st2: { web: { placement: { nodeSelector: { pool: '-x' } } } } }, 'st2.web.placement.nodeSelector.pool', 'is not a label value'],
    [{ edge: { placement: { priorityClassName: 'X' } } }, 'edge.placement.priorityClassName', 'is not a PriorityClass name'],
    [
      { datastores: { rabbitmq: { inCluster: { placement: { priorityClassName: 'X' } } } } },
      'datastores.rabbitmq.inCluster.placement.priorityClassName',
      'is not a PriorityClass name',
    ],
  ])('%j', (extra, setting, message) => {
    expectSettingError(() => synth({ ...ENVIRONMENTS.ha, ...(extra as StackStormHaSettings) }), setting, message);
  });
});
