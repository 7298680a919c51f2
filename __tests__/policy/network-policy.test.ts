import { ENVIRONMENTS } from '../../environments';
import { PodGroup, StackStormHaSettings } from '../../lib';
import { networkPolicySpecs } from '../../lib/policy/network-policy';
import { toozHostPorts } from '../../lib/policy/network-edges';
import { expectSettingError } from '../support/errors';
import { validateAll } from '../support/k8s-schema';
import { find, K8sObject, readDist, synth } from '../support/synth';
import { ALL_ENVIRONMENT_NAMES, ALL_ENVIRONMENTS, environmentObjects } from '../support/environments';

const policies = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'NetworkPolicy');
const policy = (objects: K8sObject[], name: string) => find(objects, 'NetworkPolicy', name).spec;
/** `name:port/protocol` for every pod peer of an egress (or ingress) rule list; cidrs and namespaces by value. */
function reach(rules: any[], side: 'to' | 'from'): string[] {
  return rules
    .flatMap((rule) => {
      const peers: string[] = (rule[side] ?? [{ any: true }]).map(
        (peer: any) =>
          peer.podSelector?.matchLabels['app.kubernetes.io/name'] ??
          peer.ipBlock?.cidr ??
          (peer.namespaceSelector ? `ns=${peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name']}` : '*'),
      );
      const ports: string[] = (rule.ports ?? [{ port: '*', protocol: 'any' }]).map((p: any) => `${p.port}/${p.protocol}`);
      return peers.flatMap((peer) => ports.map((port) => `${peer}:${port}`));
    })
    .sort();
}

describe.each(ALL_ENVIRONMENT_NAMES)('%s', (environment) => {
  const objects = environmentObjects(environment);
  test('denies all ingress and egress by default, then one policy per workload', () => {
    expect(policy(objects, 'default-deny')).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const workloads = objects
      .filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))
      .map((o) => o.spec.template.metadata.labels['app.kubernetes.io/name']);
    expect(
      policies(objects)
        .map((o) => o.metadata.name)
        .filter((n) => n !== 'default-deny')
        .sort(),
    ).toEqual([...new Set(workloads)].sort());
  });
  test('only what has a reason leaves the cluster, to the networks its setting names; only the edge accepts anyone', () => {
    const settings = ALL_ENVIRONMENTS[environment];
    const net = settings.networkPolicy ?? {};
    const anywhere = ['0.0.0.0/0', '::/0'];
    const externalDatastores =
      ['mongodb', 'rabbitmq'].some((d) => (settings.datastores as any)?.[d]?.mode === 'external') || settings.datastores?.coordination?.backend === 'external';
    // Every ipBlock a pod may reach, and the setting that allows it.
    const allowed = (name: string): string[][] => [
      ...(/^(st2actionrunner|st2sensorcontainer(-[a-z0-9-]+)?|st2chatops)$/.test(name) ? [[...(net.automationEgress?.cidrs ?? anywhere)]] : []),
      ...(name === 'rabbitmq' ? [[...(net.kubernetesApi?.cidrs ?? ['0.0.0.0/0'])]] : []),
      ...(externalDatastores ? [[...(net.externalDatastoreCidrs ?? ['0.0.0.0/0'])]] : []),
      ...(name === 'st2auth' && (settings.st2?.auth?.backend ?? 'flat_file') !== 'flat_file' ? [[...(net.authBackendCidrs ?? anywhere)]] : []),
    ];
    for (const policy of policies(objects)) {
      for (const rule of policy.spec.egress ?? []) {
        const cidrs = (rule.to ?? []).filter((p: any) => p.ipBlock).map((p: any) => p.ipBlock.cidr);
        if (cidrs.length === 0) continue;
        expect([policy.metadata.name, allowed(policy.metadata.name).some((list) => JSON.stringify(list) === JSON.stringify(cidrs))]).toEqual([
          policy.metadata.name,
          true,
        ]);
      }
    }
    const open = policies(objects)
      .filter((o) => (o.spec.ingress ?? []).some((r: any) => !r.from))
      .map((o) => o.metadata.name);
    expect(open).toEqual(['nginx']);
  });
  test('every pod may query the cluster DNS', () => {
    for (const o of policies(objects).filter((p) => p.metadata.name !== 'default-deny')) {
      expect(reach(o.spec.egress, 'to')).toEqual(expect.arrayContaining(['ns=kube-system:53/TCP', 'ns=kube-system:53/UDP']));
    }
  });
});

describe("the guide's edges in dist/ha", () => {
  const objects = readDist('ha');
  test('st2 processes reach MongoDB, RabbitMQ, Redis Sentinel, st2api and st2auth, and nothing else (not the public edge)', () => {
    expect(reach(policy(objects, 'st2rulesengine').egress, 'to')).toEqual([
      'mongodb:27017/TCP',
      'ns=kube-system:53/TCP',
      'ns=kube-system:53/UDP',
      'rabbitmq:5672/TCP',
      'redis:26379/TCP',
      'redis:6379/TCP',
      'st2api:9101/TCP',
      'st2auth:9100/TCP',
    ]);
    expect(policy(objects, 'st2rulesengine').ingress).toEqual([]);
  });
  test('automation gets egress everywhere by default', () => {
    for (const name of ['st2actionrunner', 'st2sensorcontainer']) {
      expect(reach(policy(objects, name).egress, 'to')).toEqual(expect.arrayContaining(['0.0.0.0/0:*/any', '::/0:*/any']));
    }
  });
  test('the edge reaches every HTTP service and clients reach the edge on 8080/8443', () => {
    expect(reach(policy(objects, 'nginx').egress, 'to')).toEqual(
      ['ns=kube-system:53/TCP', 'ns=kube-system:53/UDP', 'st2api:9101/TCP', 'st2auth:9100/TCP', 'st2stream:9102/TCP', 'st2web:80/TCP'].sort(),
    );
    expect(reach(policy(objects, 'nginx').ingress, 'from')).toEqual(expect.arrayContaining(['*:8080/TCP', '*:8443/TCP']));
    expect(reach(policy(objects, 'st2web').ingress, 'from')).toEqual(['nginx:80/TCP']);
  });
  test('datastore members reach each other on their peer ports; RabbitMQ reaches the API server', () => {
    expect(reach(policy(objects, 'rabbitmq').egress, 'to')).toEqual([
      '0.0.0.0/0:443/TCP',
      '0.0.0.0/0:6443/TCP',
      'ns=kube-system:53/TCP',
      'ns=kube-system:53/UDP',
      'rabbitmq:25672/TCP',
      'rabbitmq:4369/TCP',
    ]);
    expect(reach(policy(objects, 'redis').ingress, 'from')).toEqual(expect.arrayContaining(['redis:26379/TCP', 'redis:6379/TCP', 'st2api:6379/TCP']));
    expect(reach(policy(objects, 'mongodb').ingress, 'from')).toEqual(expect.arrayContaining(['mongodb-init:27017/TCP', 'mongodb:27017/TCP']));
    expect(reach(policy(objects, 'mongodb-init').egress, 'to')).toEqual(['mongodb:27017/TCP', 'ns=kube-system:53/TCP', 'ns=kube-system:53/UDP']);
  });
});

test('ZooKeeper: st2 reaches the client port, members the quorum and election ports', () => {
  const objects = readDist('ha-zookeeper');
  expect(reach(policy(objects, 'st2scheduler').egress, 'to')).toContain('zookeeper:2181/TCP');
  expect(reach(policy(objects, 'st2scheduler').egress, 'to')).not.toContain('zookeeper:2888/TCP');
  expect(reach(policy(objects, 'zookeeper').egress, 'to')).toEqual(expect.arrayContaining(['zookeeper:2181/TCP', 'zookeeper:2888/TCP', 'zookeeper:3888/TCP']));
});

test('Mistral reaches PostgreSQL, RabbitMQ and st2api; its schema Job only PostgreSQL; the edge routes to mistral-api', () => {
  const objects = readDist('ha-legacy-mistral');
  expect(reach(policy(objects, 'mistral-server').egress, 'to')).toEqual(
    expect.arrayContaining(['postgresql:5432/TCP', 'rabbitmq:5672/TCP', 'st2api:9101/TCP']),
  );
  expect(reach(policy(objects, 'mistral-server').egress, 'to')).not.toContain('mongodb:27017/TCP');
  expect(reach(policy(objects, 'mistral-db-manage').egress, 'to')).toEqual(['ns=kube-system:53/TCP', 'ns=kube-system:53/UDP', 'postgresql:5432/TCP']);
  expect(reach(policy(objects, 'nginx').egress, 'to')).toContain('mistral-api:8989/TCP');
  expect(reach(policy(objects, 'postgresql').ingress, 'from')).toEqual([
    'mistral-api:5432/TCP',
    'mistral-db-manage:5432/TCP',
    'mistral-server:5432/TCP',
    'postgresql-init:5432/TCP',
  ]);
});

describe('settings', () => {
  const base: StackStormHaSettings = ENVIRONMENTS.dev;
  test('automationEgress restricts automation to CIDRs and ports; chatops gets it too', () => {
    const objects = synth({
      ...base,
      st2: { ...base.st2, chatops: { enabled: true, adapterSecret: 'hubot' } },
      networkPolicy: { automationEgress: { cidrs: ['10.20.0.0/16'], ports: [{ port: 443 }, { port: 5000, endPort: 5010, protocol: 'UDP' }] } },
    });
    for (const name of ['st2actionrunner', 'st2sensorcontainer', 'st2chatops']) {
      const egress = policy(objects, name).egress;
      expect(egress).toContainEqual({
        to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
        ports: [
          { port: 443, protocol: 'TCP' },
          { port: 5000, endPort: 5010, protocol: 'UDP' },
        ],
      });
      expect(reach(egress, 'to').filter((r) => r.startsWith('0.0.0.0'))).toEqual([]);
    }
    expect(reach(policy(objects, 'st2chatops').egress, 'to')).toEqual(expect.arrayContaining(['st2api:9101/TCP', 'st2auth:9100/TCP', 'st2stream:9102/TCP']));
    expect(reach(policy(objects, 'st2chatops').egress, 'to')).not.toContain('mongodb:27017/TCP');
    expect(validateAll(policies(objects))).toEqual([]);
  });
  test('enabled: false creates no NetworkPolicy', () => {
    expect(policies(synth({ ...base, networkPolicy: { enabled: false } }))).toEqual([]);
  });
  test('the Kubernetes API range is a setting', () => {
    const objects = synth({ ...base, networkPolicy: { kubernetesApi: { cidrs: ['172.20.0.1/32'], ports: [{ port: 443 }] } } });
    expect(reach(policy(objects, 'rabbitmq').egress, 'to')).toContain('172.20.0.1/32:443/TCP');
    expect(reach(policy(objects, 'rabbitmq').egress, 'to')).not.toContain('0.0.0.0/0:6443/TCP');
  });
  test('load balancer source ranges limit clients; plain TLS mode opens only 8080', () => {
    const objects = synth({ ...base, edge: { tls: { mode: 'plain' }, service: { loadBalancerSourceRanges: ['203.0.113.0/24'] } } });
    const ingress = reach(policy(objects, 'nginx').ingress, 'from');
    expect(ingress).toContain('203.0.113.0/24:8080/TCP');
    expect(ingress.filter((r) => r.startsWith('*') || r.includes('8443'))).toEqual([]);
  });
  test('external datastores are reached on their ports in externalDatastoreCidrs', () => {
    const objects = synth({
      datastores: {
        mongodb: { mode: 'external', external: { hosts: ['mongo-a.example.com:27018'] } },
        coordination: { backend: 'external', externalUrl: 'kazoo://zk-a:2182,zk-b:2182' },
      },
      networkPolicy: { externalDatastoreCidrs: ['192.0.2.0/24'] },
    });
    expect(reach(policy(objects, 'st2api').egress, 'to')).toEqual(expect.arrayContaining(['192.0.2.0/24:27018/TCP', '192.0.2.0/24:2182/TCP']));
    expect(objects.some((o) => o.metadata.name === 'mongodb')).toBe(false);
  });
  test.each([
    [{ automationEgress: { cidrs: ['10.0.0.0'] } }, 'networkPolicy.automationEgress.cidrs[0]', '"10.0.0.0" is not a CIDR'],
    [{ automationEgress: { cidrs: [] } }, 'networkPolicy.automationEgress.cidrs', 'no network given'],
    [{ automationEgress: { ports: [] } }, 'networkPolicy.automationEgress.ports', 'an empty list would allow no port at all'],
    [{ automationEgress: { ports: [{ port: 70000 }] } }, 'networkPolicy.automationEgress.ports[0]', 'is not a port or port range'],
    [{ automationEgress: { ports: [{ port: 900, endPort: 800 }] } }, 'networkPolicy.automationEgress.ports[0]', 'is not a port or port range'],
    [{ kubernetesApi: { cidrs: ['api.example.com'] } }, 'networkPolicy.kubernetesApi.cidrs[0]', 'is not a CIDR'],
    [{ kubernetesApi: { ports: [] } }, 'networkPolicy.kubernetesApi.ports', 'no port given'],
    [{ externalDatastoreCidrs: ['300.0.0.0/8/1'] }, 'networkPolicy.externalDatastoreCidrs[0]', 'is not a CIDR'],
    [{ dnsNamespace: 'Kube_System' }, 'networkPolicy.dnsNamespace', 'is not a namespace name'],
  ])('%j is refused', (networkPolicy, setting, message) => {
    expectSettingError(() => synth({ ...base, networkPolicy } as StackStormHaSettings), setting, message);
  });
});

describe('networkPolicySpecs (pure)', () => {
  const group = (name: string): PodGroup => ({ name, kind: 'Deployment', selector: { 'app.kubernetes.io/name': name } });
  test('merges peers allowed on the same ports into one rule, both sides of a pod-to-pod edge', () => {
    const [a, b, c] = ['a', 'b', 'c'].map(group);
    const specs = networkPolicySpecs(
      [a, b, c],
      [
        { from: { pods: a }, to: { pods: c }, ports: [{ port: 80 }], why: 'x' },
        { from: { pods: b }, to: { pods: c }, ports: [{ port: 80 }], why: 'y' },
        { from: { anywhere: true }, to: { pods: c }, ports: [{ port: 80 }], why: 'z' },
      ],
    );
    expect(specs.find((s) => s.name === 'c')!.ingress).toEqual([
      {
        peers: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'a' } } }, { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'b' } } }],
        ports: [{ port: 80, protocol: 'TCP' }],
      },
      { ports: [{ port: 80, protocol: 'TCP' }] },
    ]);
    expect(specs.find((s) => s.name === 'a')!.egress).toEqual([
      { peers: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'c' } } }], ports: [{ port: 80, protocol: 'TCP' }] },
    ]);
    expect(specs.find((s) => s.name === 'a')!.ingress).toEqual([]);
  });
  test('an edge to a component that is not deployed is a bug, not a silent no-op', () => {
    expect(() => networkPolicySpecs([group('a')], [{ from: { pods: group('a') }, to: { pods: group('gone') }, why: 'w' }])).toThrow(
      /gone, which is not deployed/,
    );
  });
  test('toozHostPorts reads host:port pairs of a tooz URL', () => {
    expect(toozHostPorts('kazoo://zk-a:2181,zk-b:2182?timeout=5')).toEqual(['zk-a:2181', 'zk-b:2182']);
    expect(toozHostPorts('redis://:pw@redis.example.com:26379?sentinel=mymaster')).toEqual(['redis.example.com:26379']);
  });
});
