import { parseValuesFile, ValuesFileError } from '../../lib/config/values-file';
import { SettingError } from '../../lib';
import { synth } from '../support/synth';

/**
 * Every bad input a values file can hold, with the exact message synth prints. Schema
 * problems (file, line:column, key path, bad value, what is allowed) are found before any
 * object is built; HA invariants are checked next, naming the setting and the fix.
 */
const BAD_INPUTS: [name: string, yaml: string, message: string][] = [
  [
    'typo in a component key',
    'st2:\n  api:\n    replica: 2\n',
    'environments/bad.yaml: 1 problem:\n  line 3, column 5: st2.api.replica: unknown key "replica"; allowed keys here: enabled, image, placement, replicas, resources',
  ],
  [
    'typo at the top level',
    'namepsace: st2\n',
    'environments/bad.yaml: 1 problem:\n  line 1, column 1: namepsace: unknown key "namepsace"; allowed keys here: clusterDomain, content, datastores, edge, instance, mistral, namespace, networkPolicy, placement, publicUrl, release, secrets, st2',
  ],
  [
    'typo in a datastore',
    'datastores:\n  mongodb:\n    replicaset: rs1\n',
    'environments/bad.yaml: 1 problem:\n  line 3, column 5: datastores.mongodb.replicaset: unknown key "replicaset"; allowed keys here: authSource, database, external, inCluster, mode, replicaSet, secretName, username',
  ],
  [
    'replicas as a word',
    'st2:\n  api:\n    replicas: two\n',
    'environments/bad.yaml: 1 problem:\n  line 3, column 15: st2.api.replicas: "two" is a string; expected integer',
  ],
  ['replicas zero', 'st2:\n  api:\n    replicas: 0\n', 'environments/bad.yaml: 1 problem:\n  line 3, column 15: st2.api.replicas: 0 is below the minimum 1'],
  [
    'replicas negative',
    'st2:\n  actionRunner:\n    replicas: -1\n',
    'environments/bad.yaml: 1 problem:\n  line 3, column 15: st2.actionRunner.replicas: -1 is below the minimum 1',
  ],
  [
    'replicas fractional',
    'st2:\n  notifier:\n    replicas: 1.5\n',
    'environments/bad.yaml: 1 problem:\n  line 3, column 15: st2.notifier.replicas: 1.5 is a number; expected integer',
  ],
  [
    'unknown coordination backend',
    'datastores:\n  coordination:\n    backend: redis\n',
    'environments/bad.yaml: 1 problem:\n  line 3, column 14: datastores.coordination.backend: "redis" is not allowed; use one of "redis-sentinel", "zookeeper", "external", "none"',
  ],
  [
    'unknown mongodb mode',
    'datastores:\n  mongodb:\n    mode: managed\n',
    'environments/bad.yaml: 1 problem:\n  line 3, column 11: datastores.mongodb.mode: "managed" is not allowed; use one of "in-cluster", "external"',
  ],
  [
    'unknown pull policy',
    'release:\n  pullPolicy: Sometimes\n',
    'environments/bad.yaml: 1 problem:\n  line 2, column 15: release.pullPolicy: "Sometimes" is not allowed; use one of "IfNotPresent", "Always", "Never"',
  ],
  [
    'unknown partitioning mode',
    'st2:\n  sensorContainer:\n    partitioning:\n      mode: round-robin\n',
    'environments/bad.yaml: 1 problem:\n  line 4, column 13: st2.sensorContainer.partitioning.mode: "round-robin" is not allowed; use one of "all", "hash", "kvstore", "file", "single-sensor"',
  ],
  [
    'too many partitions',
    'st2:\n  sensorContainer:\n    partitioning:\n      mode: hash\n      partitions: 5000\n',
    'environments/bad.yaml: 1 problem:\n  line 5, column 19: st2.sensorContainer.partitioning.partitions: 5000 is above the maximum 1024',
  ],
  [
    'unknown content strategy',
    'content:\n  strategy: nfs\n',
    'environments/bad.yaml: 1 problem:\n  line 2, column 3: content.strategy: "nfs" is not a known strategy; use one of "shared-volumes", "images"',
  ],
  [
    'images strategy without images',
    'content:\n  strategy: images\n',
    'environments/bad.yaml: 1 problem:\n  line 2, column 3: content.images: required key missing',
  ],
  [
    'image tag as a number',
    'content:\n  strategy: images\n  images:\n    - repository: example/packs\n      tag: 1\n',
    'environments/bad.yaml: 1 problem:\n  line 5, column 12: content.images[0].tag: 1 is a number; expected string',
  ],
  [
    'enabled as a string',
    'st2:\n  chatops:\n    enabled: "yes"\n',
    'environments/bad.yaml: 1 problem:\n  line 3, column 14: st2.chatops.enabled: "yes" is a string; expected boolean',
  ],
  [
    'list where a map is expected',
    'st2: [api, auth]\n',
    'environments/bad.yaml: 1 problem:\n  line 1, column 6: st2: ["api","auth"] is a list; expected object',
  ],
  [
    'GC TTL below a day',
    'st2:\n  garbageCollector:\n    ttl:\n      tracesDays: 0\n',
    'environments/bad.yaml: 1 problem:\n  line 4, column 19: st2.garbageCollector.ttl.tracesDays: 0 is below the minimum 1',
  ],
  [
    'autoscaling CPU above 100',
    'st2:\n  actionRunner:\n    autoscaling:\n      minReplicas: 2\n      maxReplicas: 4\n      cpuUtilization: 150\n',
    'environments/bad.yaml: 1 problem:\n  line 6, column 23: st2.actionRunner.autoscaling.cpuUtilization: 150 is above the maximum 100',
  ],
  [
    'st2 UID root',
    'release:\n  st2RunAs: { user: 0, group: 1000 }\n',
    'environments/bad.yaml: 1 problem:\n  line 2, column 21: release.st2RunAs.user: 0 is below the minimum 1',
  ],
  [
    'a floating st2 tag',
    "release:\n  version: '3.9'\n",
    'release.version: "3.9" floats to the newest patch release, so nodes could run different releases against one database. Fix: name the full release (e.g. 3.9.0) or pin release.digest',
  ],
  [
    'a release digest that is no digest',
    'release:\n  version: 3.9.0\n  digest: sha256:abc\n',
    'release.digest: "sha256:abc" is not an image digest. Fix: write sha256: and the 64 hex digits `docker buildx imagetools inspect` prints',
  ],
  [
    'a component digest that is no digest',
    'st2:\n  api:\n    image:\n      digest: md5:abc\n',
    'st2.api.image.digest: "md5:abc" is not an image digest. Fix: write sha256: and the 64 hex digits `docker buildx imagetools inspect` prints',
  ],
  [
    'a cluster domain with a trailing dot',
    'clusterDomain: cluster.local.\n',
    'clusterDomain: "cluster.local." is not a DNS domain. Fix: give the kubelet\'s clusterDomain without a trailing dot, e.g. cluster.local (see `kubectl get cm -n kube-system coredns -o yaml`)',
  ],
  [
    'no architecture',
    'release:\n  architectures: []\n',
    'release.architectures: [] names no CPU architecture. Fix: list kubernetes.io/arch values such as amd64, or leave it out for the official images (amd64 only)',
  ],
  [
    'the smoke test without st2auth',
    'st2:\n  auth: { enabled: false }\n  smokeTest: { enabled: true }\n',
    'st2.smokeTest.enabled: the smoke test logs in and runs an action, but st2.auth is not deployed. Fix: deploy those components, or set st2.smokeTest.enabled: false',
  ],
  [
    'a smoke test that waits too briefly',
    'st2:\n  smokeTest: { waitSeconds: 5 }\n',
    'environments/bad.yaml: 1 problem:\n  line 2, column 29: st2.smokeTest.waitSeconds: 5 is below the minimum 30',
  ],
  [
    'a ZooKeeper claim without a unit',
    "datastores:\n  coordination:\n    backend: zookeeper\n    inCluster: { storageSize: '2' }\n",
    'datastores.coordination.inCluster.storageSize: "2" is not a volume size. Fix: write a whole number with Mi, Gi or Ti, e.g. 2Gi',
  ],
  [
    'unknown node spread',
    'placement:\n  nodeSpread: always\n',
    'environments/bad.yaml: 1 problem:\n  line 2, column 15: placement.nodeSpread: "always" is not allowed; use one of "preferred", "required"',
  ],
  [
    'edge timeout zero',
    'edge:\n  timeouts:\n    streamReadSeconds: 0\n',
    'environments/bad.yaml: 1 problem:\n  line 3, column 24: edge.timeouts.streamReadSeconds: 0 is below the minimum 1',
  ],
  [
    'malformed YAML: unclosed list',
    'st2: [1\n',
    'environments/bad.yaml: 1 problem:\n  line 2, column 1: malformed YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ],
  [
    'malformed YAML: duplicate key',
    'namespace: a\nnamespace: b\n',
    'environments/bad.yaml: 1 problem:\n  line 2, column 1: malformed YAML: Map keys must be unique',
  ],
  [
    'malformed YAML: bad indentation',
    'st2:\n  api:\n   replicas: 2\n  auth:\n     replicas: 2\n    stream: {}\n',
    'environments/bad.yaml: 1 problem:\n  line 6, column 1: malformed YAML: All mapping items must start at the same column',
  ],
  [
    'a YAML alias bomb (nested anchors expanding to millions of nodes)',
    ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join(
      '\n',
    ) + '\n',
    'environments/bad.yaml: 1 problem:\n  line 2, column 8: unreadable YAML: its aliases expand to more nodes than a values file can need (nested anchors), which the YAML reader refuses; write the values out instead of aliasing them',
  ],
  [
    'two problems at once',
    'namespace: 3\nst2:\n  api:\n    replicas: 0\n',
    'environments/bad.yaml: 2 problems:\n  line 1, column 12: namespace: 3 is a number; expected string\n  line 4, column 15: st2.api.replicas: 0 is below the minimum 1',
  ],
  [
    'even quorum (an HA invariant after the schema)',
    'datastores:\n  rabbitmq:\n    inCluster:\n      replicas: 4\n',
    'datastores.rabbitmq.inCluster.replicas: got 4: a pause_minority cluster of an even number of members tolerates no more failures than 3 and risks a tie. Fix: set it to 3 or 5',
  ],
  [
    'external coordination without a URL',
    'datastores:\n  coordination:\n    backend: external\n',
    'datastores.coordination.externalUrl: the external backend names no URL. Fix: give a tooz URL such as kazoo://zk-a:2181,zk-b:2181,zk-c:2181 or redis://host:26379?sentinel=name, or choose another backend',
  ],
  [
    'singleton scaled',
    'st2:\n  timersEngine:\n    replicas: 2\n',
    'st2.timersEngine.replicas: 2 replicas, but it is a singleton: a second copy would do the same work twice. Fix: set replicas to 1',
  ],
  [
    'overlapping sensor partitions',
    'st2:\n  sensorContainer:\n    partitioning:\n      mode: hash\n      hashRanges:\n        a: 0..3000000000\n        b: 2000000000..4294967296\n',
    'st2.sensorContainer.partitioning.hashRanges: partitions a and b overlap at 2000000000..3000000000. Fix: make each range start where the previous one ends (END is exclusive)',
  ],
  [
    'missing secret reference',
    'secrets:\n  htpasswd: ""\n',
    'secrets.htpasswd: no Secret name given. Fix: name the Secret you created (see README, "Secrets")',
  ],
  [
    'workflow engines without coordination',
    'datastores:\n  coordination:\n    backend: none\n',
    'st2.workflowEngine.replicas: 2 replicas with no coordination backend: without tooz locks, concurrency policies and workflow state race across replicas. Fix: set datastores.coordination.backend to redis-sentinel, zookeeper or external, or set replicas to 1',
  ],
];

function failure(yaml: string): string {
  try {
    synth(parseValuesFile('environments/bad.yaml', yaml), 'bad');
  } catch (error) {
    if (error instanceof ValuesFileError || error instanceof SettingError) return error.message;
    throw error;
  }
  return 'no error';
}

test('the table holds at least 25 distinct bad inputs', () => {
  expect(new Set(BAD_INPUTS.map(([, yaml]) => yaml)).size).toBe(BAD_INPUTS.length);
  expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(25);
});

test.each(BAD_INPUTS)('%s', (_, yaml, message) => {
  expect(failure(yaml)).toBe(message);
});

test('a valid file maps onto the typed settings unchanged', () => {
  const yaml = 'namespace: st2\nst2:\n  api:\n    replicas: 3\ncontent:\n  strategy: images\n  images:\n    - repository: example/packs\n      tag: "1.0"\n';
  expect(parseValuesFile('ok.yaml', yaml)).toEqual({
    namespace: 'st2',
    st2: { api: { replicas: 3 } },
    content: { strategy: 'images', images: [{ repository: 'example/packs', tag: '1.0' }] },
  });
  expect(parseValuesFile('empty.yaml', '')).toEqual({});
});

test('loadEnvironments reads every <name>.yaml of a folder and names the bad file', () => {
  const fs = require('fs') as typeof import('fs');
  const os = require('os') as typeof import('os');
  const path = require('path') as typeof import('path');
  const { loadEnvironments } = require('../../lib/config/environments') as typeof import('../../lib/config/environments');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'environments-'));
  try {
    fs.writeFileSync(path.join(dir, 'b.yaml'), 'namespace: b\n');
    fs.writeFileSync(path.join(dir, 'a.yaml'), 'namespace: a\n');
    fs.writeFileSync(path.join(dir, 'notes.md'), 'not an environment');
    expect(loadEnvironments(dir)).toEqual({ a: { namespace: 'a' }, b: { namespace: 'b' } });
    fs.writeFileSync(path.join(dir, 'c.yaml'), 'st2:\n  api:\n    replica: 2\n');
    expect(() => loadEnvironments(dir)).toThrow(/c\.yaml: 1 problem:\n  line 3, column 5: st2\.api\.replica: unknown key "replica"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
