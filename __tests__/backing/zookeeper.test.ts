import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { memberHost } from '../../lib/backing/members';
import { renderZooCfg, serverId } from '../../lib/backing/zoo-cfg';
import { ZooKeeper, ZooKeeperProps } from '../../lib/backing/zookeeper';
import { validateAll } from '../support/k8s-schema';
import { find, K8sObject, synth, synthConstruct } from '../support/synth';
import { quorumMessage } from '../support/errors';

const identity = { namespace: 'st2-test', instance: 'stackstorm' };
const hosts = [0, 1, 2].map((i) => memberHost('zookeeper', i, { namespace: 'st2-test', instance: 'stackstorm' }));

function build(props: Partial<ZooKeeperProps> = {}): { objects: K8sObject[]; zk: ZooKeeper } {
  const { construct: zk, objects } = synthConstruct((chart) => new ZooKeeper(chart, 'ZooKeeper', { identity, ...props }));
  return { objects, zk };
}

describe('ZooKeeper objects', () => {
  const { objects, zk } = build();
  const statefulSet = find(objects, 'StatefulSet', 'zookeeper');
  const pod = statefulSet.spec.template.spec;
  const container = pod.containers[0];

  test('every object is schema-valid (1.27 and 1.36) with stable names', () => {
    expect(validateAll(objects)).toEqual([]);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/zookeeper-config',
      'PodDisruptionBudget/zookeeper',
      'Service/zookeeper',
      'Service/zookeeper-headless',
      'StatefulSet/zookeeper',
    ]);
  });

  test('three members start in parallel (readiness needs a quorum: ordered start would deadlock)', () => {
    expect(statefulSet.spec.replicas).toBe(3);
    expect(statefulSet.spec.podManagementPolicy).toBe('Parallel');
    expect(statefulSet.spec.serviceName).toBe('zookeeper-headless');
    expect(container.image).toBe('zookeeper:3.8.4');
    expect(container.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '384Mi' }, limits: { memory: '512Mi' } });
    expect(container.env).toEqual([{ name: 'ZK_SERVER_HEAP', value: '256' }]);
    expect(container.ports.map((p: any) => p.containerPort)).toEqual([2181, 2888, 3888]);
  });

  test('zoo.cfg replaces only the file in /conf; data, logs and /tmp are writable', () => {
    const mounts = Object.fromEntries(container.volumeMounts.map((m: any) => [m.mountPath, m]));
    expect(mounts['/conf/zoo.cfg']).toMatchObject({ subPath: 'zoo.cfg', readOnly: true });
    for (const dir of ['/data', '/logs', '/tmp']) expect(mounts[dir].readOnly ?? false).toBe(false);
  });

  test('myid is the pod ordinal + 1, matching the server.N lines', () => {
    const script: string = container.command[2];
    expect(container.command.slice(0, 2)).toEqual(['sh', '-c']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-myid-'));
    try {
      for (const ordinal of [0, 2]) {
        const result = spawnSync('sh', ['-c', script.replace('/data/myid', `${dir}/myid`).replace('exec zkServer.sh start-foreground', 'true')], {
          env: { PATH: process.env.PATH, HOSTNAME: `zookeeper-${ordinal}` },
          encoding: 'utf8',
        });
        expect(result.status).toBe(0);
        expect(fs.readFileSync(`${dir}/myid`, 'utf8').trim()).toBe(String(serverId(ordinal)));
        expect(zk.zooCfg).toContain(`server.${serverId(ordinal)}=${hosts[ordinal]}:2888:3888\n`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('probes: ready only in quorum (srvr Mode), alive while it answers ruok; four-letter words whitelisted', () => {
    expect(container.readinessProbe.exec.command[2]).toContain('printf srvr');
    expect(container.readinessProbe.exec.command[2]).toContain("grep -q '^Mode: '");
    expect(container.livenessProbe.exec.command[2]).toContain('printf ruok');
    expect(container.startupProbe.exec.command[2]).toContain('printf ruok');
    expect(container.livenessProbe.periodSeconds).not.toBe(container.readinessProbe.periodSeconds);
    expect(zk.zooCfg).toMatch(/^4lw\.commands\.whitelist=ruok,srvr,mntr$/m);
  });

  test('Services: the headless one publishes unready members for peer discovery; the client one serves 2181', () => {
    const headless = find(objects, 'Service', 'zookeeper-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(headless.spec.selector).toEqual(statefulSet.spec.selector.matchLabels);
    const client = find(objects, 'Service', 'zookeeper');
    expect(client.spec.ports).toEqual([{ name: 'client', port: 2181, targetPort: 2181 }]);
    expect(client.spec.selector).toEqual(statefulSet.spec.selector.matchLabels);
  });

  test('a PodDisruptionBudget keeps the majority', () => {
    expect(find(objects, 'PodDisruptionBudget', 'zookeeper').spec.maxUnavailable).toBe(1);
  });

  test('zoo.cfg lists every member by DNS name', () => {
    const data = find(objects, 'ConfigMap', 'zookeeper-config').data!;
    expect(data['zoo.cfg']).toBe(zk.zooCfg);
    expect(zk.zooCfg.match(/^server\.\d+=.*$/gm)).toEqual(hosts.map((h, i) => `server.${i + 1}=${h}:2888:3888`));
    expect(zk.zooCfg).toMatch(/^dataDir=\/data$/m);
    expect(zk.zooCfg).toMatch(/^admin\.enableServer=false$/m);
    expect(zk.zooCfg).toMatch(/^standaloneEnabled=false$/m);
  });

  test('the endpoint is a kazoo URL over member DNS names', () => {
    expect(zk.endpoint).toEqual({
      backend: 'zookeeper',
      url: `kazoo://${hosts.map((h) => `${h}:2181`).join(',')}`,
      hosts: hosts.map((h) => `${h}:2181`),
    });
  });
});

describe('renderZooCfg', () => {
  test('five members, custom timings', () => {
    const text = renderZooCfg({ members: ['a', 'b', 'c', 'd', 'e'], dataDir: '/x', tickTime: 1000, initLimit: 3, syncLimit: 2 });
    expect(text.match(/^server\..*$/gm)).toEqual([
      'server.1=a:2888:3888',
      'server.2=b:2888:3888',
      'server.3=c:2888:3888',
      'server.4=d:2888:3888',
      'server.5=e:2888:3888',
    ]);
    expect(text).toContain('tickTime=1000\ninitLimit=3\nsyncLimit=2\ndataDir=/x\n');
  });
});

describe('ZooKeeper settings errors', () => {
  test.each([2, 4, 1])('%p members', (members) => {
    expect(() => build({ members })).toThrow(quorumMessage('datastores.coordination.inCluster.replicas', members, 'a ZooKeeper ensemble'));
  });
  test('an unpinned image', () => {
    expect(() => build({ image: { tag: 'latest' } })).toThrow('datastores.coordination.inCluster.image.tag: "latest" is not a pinned tag');
  });
  test('via StackStormHa settings', () => {
    expect(() => synth({ datastores: { coordination: { backend: 'zookeeper', inCluster: { replicas: 4 } } } })).toThrow(
      'datastores.coordination.inCluster.replicas: got 4: a ZooKeeper ensemble of an even number',
    );
  });
});

describe('wiring into StackStormHa', () => {
  const objects = synth({ namespace: 'st2-test', datastores: { coordination: { backend: 'zookeeper' } } });

  test('st2 gets the kazoo URL, waits for the ensemble, and no Redis is built', () => {
    expect(find(objects, 'ConfigMap', 'st2-config').data!['st2.conf']).toContain(`[coordination]\nurl = kazoo://${hosts.map((h) => `${h}:2181`).join(',')}\n`);
    const prepare = find(objects, 'Deployment', 'st2api').spec.template.spec.initContainers[0];
    expect(prepare.command).toContain(hosts.map((h) => `${h}:2181`).join(','));
    expect(objects.some((o) => o.metadata.name === 'redis')).toBe(false);
    expect(validateAll(objects)).toEqual([]);
  });
});
