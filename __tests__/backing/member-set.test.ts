import { contentHash } from '../../lib/common/hash';
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { MemberSet, MemberSetProps, resolveMemberSettings } from '../../lib/backing/member-set';
import { memberHost } from '../../lib/backing/members';
import { RedisSentinel } from '../../lib/backing/redis-sentinel';
import { RESOURCE_PRESETS, toContainerResources } from '../../lib/common/resources';
import { containerSecurity } from '../../lib/common/workload';
import { expectSettingError } from '../support/errors';
import { validateAll } from '../support/k8s-schema';
import { find, K8sObject, synthConstruct } from '../support/synth';

const identity = { namespace: 'st2-test', instance: 'stackstorm' };

/** A MemberSet with one container, as a datastore would complete it. */
function build(props: Partial<MemberSetProps> = {}): { objects: K8sObject[]; set: MemberSet } {
  const { construct: set, objects } = synthConstruct((chart) => buildSet(chart, props));
  return { objects, set };
}

function buildSet(chart: Chart, props: Partial<MemberSetProps>): MemberSet {
  const set = new MemberSet(chart, 'Members', {
    identity,
    name: 'store',
    role: 'database',
    version: '1.2.3',
    members: 3,
    runAs: { user: 999, group: 999 },
    ports: [
      { name: 'peer', port: 7000 },
      { name: 'client', port: 7001 },
    ],
    ...props,
  });
  const main = set.statefulSet.addContainer({
    name: 'store',
    image: 'example/store:1.2.3',
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    ports: [
      { name: 'peer', number: 7000 },
      { name: 'client', number: 7001 },
    ],
    resources: toContainerResources(RESOURCE_PRESETS.tiny, 'test'),
    securityContext: containerSecurity({ user: 999, group: 999 }),
  });
  main.mount('/tmp', kplus.Volume.fromEmptyDir(chart, 'Tmp', 'tmp'));
  return set;
}

describe('MemberSet', () => {
  const { objects, set } = build({ clientPorts: [{ name: 'client', port: 7001 }] });
  const sts = find(objects, 'StatefulSet', 'store');
  const headless = find(objects, 'Service', 'store-headless');

  test('stable names, valid objects, every object labelled', () => {
    expect(validateAll(objects)).toEqual([]);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'PodDisruptionBudget/store',
      'Service/store',
      'Service/store-headless',
      'StatefulSet/store',
    ]);
    for (const o of objects) expect(o.metadata.labels).toEqual(set.labels);
    expect(set.hosts).toEqual([0, 1, 2].map((i) => memberHost('store', i, identity)));
    expect(set.hostPorts(7001)[2]).toBe(`${memberHost('store', 2, identity)}:7001`);
  });

  test('the headless Service publishes not-ready members and selects by our labels only', () => {
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, selector: set.selector });
    expect(headless.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([
      ['peer', 7000, 7000],
      ['client', 7001, 7001],
    ]);
    expect(find(objects, 'Service', 'store').spec).toMatchObject({
      type: 'ClusterIP',
      selector: set.selector,
      ports: [{ name: 'client', port: 7001, targetPort: 7001 }],
    });
  });

  test('the StatefulSet: parallel, labelled pods, no token, seccomp, spread, 30 s grace, budget of one', () => {
    expect(sts.spec).toMatchObject({ replicas: 3, serviceName: 'store-headless', podManagementPolicy: 'Parallel', selector: { matchLabels: set.selector } });
    const pod = sts.spec.template.spec;
    expect(sts.spec.template.metadata.labels).toEqual(set.labels);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBeUndefined();
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(pod.securityContext).toMatchObject({ runAsUser: 999, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.topologySpreadConstraints).toEqual([
      { topologyKey: 'kubernetes.io/hostname', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: set.selector } },
    ]);
    expect(sts.spec.volumeClaimTemplates).toBeUndefined();
    expect(find(objects, 'PodDisruptionBudget', 'store').spec).toMatchObject({ maxUnavailable: 1, selector: { matchLabels: set.selector } });
  });

  test('options: no client Service by default, account with token, claim mounted in the first container, annotations, grace', () => {
    const { objects: o } = build({
      serviceAccountName: 'store',
      terminationGracePeriodSeconds: 90,
      podAnnotations: { 'checksum/config': 'abc' },
      volumeClaim: { size: '5Gi', storageClassName: 'fast', mountPath: '/var/lib/store' },
      podManagementPolicy: kplus.PodManagementPolicy.ORDERED_READY,
    });
    expect(validateAll(o)).toEqual([]);
    expect(o.some((x) => x.kind === 'Service' && x.metadata.name === 'store')).toBe(false);
    const s = find(o, 'StatefulSet', 'store');
    const pod = s.spec.template.spec;
    expect(s.spec.podManagementPolicy).toBe('OrderedReady');
    expect(pod).toMatchObject({ serviceAccountName: 'store', automountServiceAccountToken: true, terminationGracePeriodSeconds: 90 });
    expect(s.spec.template.metadata.annotations).toEqual({ 'checksum/config': 'abc' });
    expect(s.spec.volumeClaimTemplates).toEqual([
      {
        metadata: { name: 'data', labels: find(o, 'Service', 'store-headless').metadata.labels },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'fast' },
      },
    ]);
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'data', mountPath: '/var/lib/store' },
    ]);
  });

  test('a single member gets no disruption budget (it would block every drain)', () => {
    const { objects: o } = build({ members: 1 });
    expect(o.filter((x) => x.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(find(o, 'StatefulSet', 'store').spec.template.spec.topologySpreadConstraints).toBeUndefined();
  });

  test('a grace period that is not a positive whole number of seconds is refused', () => {
    expectSettingError(() => build({ terminationGracePeriodSeconds: 0 }), 'store.terminationGracePeriodSeconds', 'got 0. Fix: set it to an integer >= 1');
  });
});

describe('resolveMemberSettings', () => {
  const defaults = {
    setting: 'datastores.x',
    quorum: 'an x set',
    image: { repository: 'x', tag: '1.0' },
    runAs: { user: 5, group: 5 },
    resources: { cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '64Mi' },
  };

  test('fills in the defaults and the image reference', () => {
    const r = resolveMemberSettings({ identity, image: { tag: '1.1' } }, defaults);
    expect(r).toMatchObject({ setting: 'datastores.x', members: 3, imageRef: 'x:1.1', runAs: { user: 5, group: 5 } });
    expect(r.resources.memory!.limit!.toMebibytes()).toBe(64);
  });

  test('checks members, image, UID and resources, naming the setting', () => {
    expectSettingError(
      () => resolveMemberSettings({ identity, members: 4 }, defaults),
      'datastores.x.replicas',
      'got 4: an x set of an even number of members tolerates no more failures than 3 and risks a tie. Fix: set it to 3 or 5',
    );
    expectSettingError(() => resolveMemberSettings({ identity, image: { tag: 'latest' } }, defaults), 'datastores.x.image.tag', 'is not a pinned tag');
    expectSettingError(
      () => resolveMemberSettings({ identity, runAs: { user: -1, group: 0 } }, defaults),
      'datastores.x.runAs.user',
      'got -1. Fix: set it to an integer >= 0',
    );
    expectSettingError(
      () => resolveMemberSettings({ identity, resources: { cpuRequest: '1', memoryRequest: '1Gi', memoryLimit: '1Mi' } }, defaults),
      'datastores.x.resources.memoryLimit',
      'is below the request',
    );
  });

  test('Redis Sentinel now refuses a UID that is not a whole number, like ZooKeeper', () => {
    expectSettingError(
      () => synthConstruct((chart) => new RedisSentinel(chart, 'Redis', { identity, runAs: { user: 99.5, group: 999 } })),
      'datastores.coordination.inCluster.runAs.user',
      'got 99.5',
    );
  });
});

test('filesChecksum depends on names and contents, not on key order', () => {
  expect(contentHash({ a: '1', b: '2' })).toBe(contentHash({ b: '2', a: '1' }));
  expect(contentHash({ a: '1', b: '2' })).not.toBe(contentHash({ a: '2', b: '1' }));
  expect(contentHash({ a: '1' })).toMatch(/^[0-9a-f]{16}$/);
});
