import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SettingError, StackStormHaSettings } from '../../lib';
import { prepareScript, SENSOR_PARTITION_FILE } from '../../lib/common/prepare-script';
import { checkHashCoverage, equalHashRanges, HASH_MAX, sensorPartitions } from '../../lib/st2/sensor-partitions';
import { validateAll } from '../support/k8s-schema';
import { parse as ini } from '../support/ini';
import { interpreters } from '../support/python';
import { container, find, synth } from '../support/synth';

const coordination: StackStormHaSettings['datastores'] = { coordination: { backend: 'external', externalUrl: 'redis://r:6379' } };

test('all-in-one: one pod, default provider', () => {
  expect(sensorPartitions()).toEqual([
    { node: 'all', name: 'st2sensorcontainer', args: [], overrides: { sensorcontainer: { sensor_node_name: 'all', partition_provider: 'name:default' } } },
  ]);
});

test.each([1, 2, 3, 7, 256])('hash: %i equal partitions cover [0, 2^32) exactly, end-exclusive', (count) => {
  const ranges = equalHashRanges(count);
  expect(ranges).toHaveLength(count);
  expect(ranges[0][0]).toBe(0);
  expect(ranges[count - 1][1]).toBe(HASH_MAX);
  for (let i = 1; i < count; i++) expect(ranges[i][0]).toBe(ranges[i - 1][1]);
  const partitions = sensorPartitions({ mode: 'hash', partitions: count });
  expect(new Set(partitions.map((p) => p.node)).size).toBe(count);
});

test('hash: provider string per partition', () => {
  expect(sensorPartitions({ mode: 'hash', partitions: 2 }).map((p) => p.overrides.sensorcontainer.partition_provider)).toEqual([
    'name:hash, hash_ranges:0..2147483648',
    'name:hash, hash_ranges:2147483648..4294967296',
  ]);
});

test('hash: explicit multi-range partitions are accepted when they tile the space', () => {
  const parts = sensorPartitions({ mode: 'hash', hashRanges: { a: '0..1000|3000..4294967296', b: '1000..3000' } });
  expect(parts.map((p) => [p.name, p.overrides.sensorcontainer.partition_provider])).toEqual([
    ['st2sensorcontainer-a', 'name:hash, hash_ranges:0..1000|3000..4294967296'],
    ['st2sensorcontainer-b', 'name:hash, hash_ranges:1000..3000'],
  ]);
});

test.each([
  [{ a: '0..1000', b: '999..4294967296' }, 'partitions a and b overlap at 999..1000'],
  [{ a: '0..1000', b: '1001..4294967296' }, 'hashes 1000..1001 belong to no partition (gap between a and b)'],
  [{ a: '0..1000' }, 'hashes 1000..4294967296 belong to no partition'],
  [{ a: '5..4294967296' }, 'hashes 0..5 belong to no partition'],
  [{ a: '0..4294967297' }, 'range 0..4294967297 is empty or beyond 2^32'],
  [{ a: '10..5|0..10' }, 'range 10..5 is empty or beyond 2^32'],
  [{ a: 'zero..MAX' }, '"zero..MAX" is not a range'],
  [{ A_b: '0..4294967296' }, 'node name "A_b" is not usable in a Kubernetes name'],
])('hash ranges %j are refused: %s', (hashRanges, message) => {
  expect(() => sensorPartitions({ mode: 'hash', hashRanges })).toThrow(message);
});

test('coverage check reports the exact gap', () => {
  expect(() => checkHashCoverage({ x: [[0, 10]], y: [[20, HASH_MAX]] })).toThrow(SettingError);
});

test('kvstore: one pod per node; repeated node names are refused', () => {
  expect(sensorPartitions({ mode: 'kvstore', nodes: ['east', 'west'] }).map((p) => p.overrides.sensorcontainer)).toEqual([
    { sensor_node_name: 'east', partition_provider: 'name:kvstore' },
    { sensor_node_name: 'west', partition_provider: 'name:kvstore' },
  ]);
  expect(() => sensorPartitions({ mode: 'kvstore', nodes: ['east', 'east'] })).toThrow('node name east appears twice');
  expect(() => sensorPartitions({ mode: 'kvstore', nodes: [] })).toThrow('kvstore mode lists no node');
});

test('file: a sensor in two partitions is an overlap', () => {
  expect(() => sensorPartitions({ mode: 'file', assignments: { a: ['git.GitCommitSensor'], b: ['git.GitCommitSensor'] } })).toThrow(
    'sensor git.GitCommitSensor is assigned to both a and b (overlapping partitions)',
  );
  expect(() => sensorPartitions({ mode: 'file', assignments: { a: ['nodot'] } })).toThrow('"nodot" is not a sensor ref');
});

test('single-sensor: one pod per ref with --single-sensor-mode', () => {
  const parts = sensorPartitions({ mode: 'single-sensor', sensors: ['linux.FileWatchSensor', 'github.GithubSensor'] });
  expect(parts.map((p) => [p.name, p.args])).toEqual([
    ['st2sensorcontainer-linux-filewatchsensor', ['--single-sensor-mode', '--sensor-ref=linux.FileWatchSensor']],
    ['st2sensorcontainer-github-githubsensor', ['--single-sensor-mode', '--sensor-ref=github.GithubSensor']],
  ]);
  expect(() => sensorPartitions({ mode: 'single-sensor', sensors: ['a.B', 'a.B'] })).toThrow('give the same pod name');
});

test('settings of another mode are refused', () => {
  expect(() => sensorPartitions({ mode: 'kvstore', nodes: ['a'], partitions: 3 })).toThrow(
    'st2.sensorContainer.partitioning.partitions: does not apply to mode kvstore',
  );
  expect(() => sensorPartitions({ mode: 'hash' })).toThrow('st2.sensorContainer.partitioning.partitions: got undefined');
});

test('synthesized hash by count: one StatefulSet, pod i runs range i, never two pods of one ordinal', () => {
  const o = synth({ datastores: coordination, st2: { sensorContainer: { partitioning: { mode: 'hash', partitions: 3 } } } });
  expect(
    o
      .filter((x) => x.metadata.name.startsWith('st2sensorcontainer'))
      .map((x) => `${x.kind}/${x.metadata.name}`)
      .sort(),
  ).toEqual([
    'NetworkPolicy/st2sensorcontainer',
    'PodDisruptionBudget/st2sensorcontainer',
    'Service/st2sensorcontainer-headless',
    'StatefulSet/st2sensorcontainer',
  ]);
  const set = find(o, 'StatefulSet', 'st2sensorcontainer');
  expect(set.spec).toMatchObject({ replicas: 3, podManagementPolicy: 'Parallel', serviceName: 'st2sensorcontainer-headless' });
  const headless = find(o, 'Service', 'st2sensorcontainer-headless');
  expect(headless.spec.clusterIP).toBe('None');
  expect(headless.spec.ports).toBeUndefined();
  expect(headless.spec.selector).toEqual(set.spec.selector.matchLabels);
  const prepare = set.spec.template.spec.initContainers.find((c: any) => c.name === 'prepare');
  expect(prepare.env).toEqual(
    expect.arrayContaining([
      { name: 'ST2_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'ST2_SENSOR_PARTITIONS', value: '3' },
    ]),
  );
  // The generated layer comes after the shared st2.conf and before the secrets.
  expect(
    container(set, 'st2sensorcontainer')
      .command.filter((arg: string) => arg.startsWith('--config-file='))
      .slice(-3),
  ).toEqual([
    '--config-file=/etc/st2/shared/st2.conf',
    '--config-file=/etc/st2/secrets/sensor-partition.conf',
    '--config-file=/etc/st2/secrets/st2.secrets.conf',
  ]);
  expect(find(o, 'PodDisruptionBudget', 'st2sensorcontainer').spec.maxUnavailable).toBe(1);
  expect(validateAll(o)).toEqual([]);
});

test('a change of the partition count rolls every pod (the count is in the config checksum)', () => {
  const checksum = (partitions: number) =>
    find(synth({ datastores: coordination, st2: { sensorContainer: { partitioning: { mode: 'hash', partitions } } } }), 'StatefulSet', 'st2sensorcontainer')
      .spec.template.metadata.annotations['checksum/config'];
  expect(checksum(3)).not.toBe(checksum(4));
});

test('synthesized named partitions: a one-replica Deployment each, one shared NetworkPolicy and overrides ConfigMap', () => {
  const o = synth({
    datastores: coordination,
    st2: { sensorContainer: { partitioning: { mode: 'hash', hashRanges: { a: '0..1000|3000..4294967296', b: '1000..3000' } } } },
  });
  expect(
    o
      .filter((x) => x.metadata.name.startsWith('st2sensorcontainer'))
      .map((x) => `${x.kind}/${x.metadata.name}`)
      .sort(),
  ).toEqual(['ConfigMap/st2sensorcontainer-config', 'Deployment/st2sensorcontainer-a', 'Deployment/st2sensorcontainer-b', 'NetworkPolicy/st2sensorcontainer']);
  const config = find(o, 'ConfigMap', 'st2sensorcontainer-config').data!;
  const policy = find(o, 'NetworkPolicy', 'st2sensorcontainer');
  for (const [node, range] of [
    ['a', '0..1000|3000..4294967296'],
    ['b', '1000..3000'],
  ]) {
    const name = `st2sensorcontainer-${node}`;
    const d = find(o, 'Deployment', name);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy.type).toBe('Recreate');
    // Each Deployment selects its own pods only; the policy selects them all.
    expect(d.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'st2sensorcontainer',
      'app.kubernetes.io/instance': 'stackstorm',
      'stackstorm.io/partition': node,
    });
    expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'st2sensorcontainer', 'app.kubernetes.io/instance': 'stackstorm' });
    expect(container(d).command).toContain(`--config-file=/etc/st2/overrides/${name}.conf`);
    // The pod mounts its own file of the shared ConfigMap, nobody else's.
    expect(d.spec.template.spec.volumes).toContainEqual({
      name: 'st2-overrides',
      configMap: { name: 'st2sensorcontainer-config', items: [{ key: `${name}.conf`, path: `${name}.conf` }] },
    });
    expect(ini(config[`${name}.conf`]).sensorcontainer).toEqual({ sensor_node_name: node, partition_provider: `name:hash, hash_ranges:${range}` });
  }
  // A partition rolls when its own file changes, not when the shared ConfigMap does.
  const checksum = (objects: typeof o, name: string) => find(objects, 'Deployment', name).spec.template.metadata.annotations['checksum/config'];
  const moved = synth({
    datastores: coordination,
    st2: { sensorContainer: { partitioning: { mode: 'hash', hashRanges: { a: '0..2000|3000..4294967296', b: '2000..3000' } } } },
  });
  expect(checksum(moved, 'st2sensorcontainer-a')).not.toBe(checksum(o, 'st2sensorcontainer-a'));
  const kvstore = (nodes: string[]) => synth({ datastores: coordination, st2: { sensorContainer: { partitioning: { mode: 'kvstore', nodes } } } });
  const two = kvstore(['a', 'b']);
  const three = kvstore(['a', 'b', 'c']);
  expect(Object.keys(find(three, 'ConfigMap', 'st2sensorcontainer-config').data!)).toHaveLength(3);
  for (const name of ['st2sensorcontainer-a', 'st2sensorcontainer-b']) expect(checksum(three, name)).toBe(checksum(two, name));
  expect(validateAll(o)).toEqual([]);
});

test('256 named partitions: one object each, plus the shared two', () => {
  const nodes = Array.from({ length: 256 }, (_, i) => `n${i}`);
  const o = synth({ datastores: coordination, st2: { sensorContainer: { partitioning: { mode: 'kvstore', nodes } } } });
  expect(o.filter((x) => x.metadata.name.startsWith('st2sensorcontainer')).length).toBe(258);
});

describe('prepare.py derives the range from the pod ordinal', () => {
  const { found, missing } = interpreters();
  for (const name of missing) test.skip(`under ${name} (not on this machine)`, () => undefined);
  const each = found.map((python) => [python.name, python.executable] as const);
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'partition-'));
    fs.writeFileSync(path.join(dir, 'prepare.py'), prepareScript());
    fs.writeFileSync(path.join(dir, 'template'), '[database]\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (python: string, pod: string, count: number) =>
    spawnSync(python, [path.join(dir, 'prepare.py'), path.join(dir, 'template'), path.join(dir, 'st2.secrets.conf')], {
      env: { ST2_POD_NAME: pod, ST2_SENSOR_PARTITIONS: String(count) },
      encoding: 'utf8',
    });

  test.each(each)('under %s, the same split as equalHashRanges: first, middle and last ordinal', (_, python) => {
    for (const count of [1, 7, 1024]) {
      const ranges = equalHashRanges(count);
      for (const ordinal of new Set([0, Math.floor(count / 2), count - 1])) {
        const pod = `st2sensorcontainer-${ordinal}`;
        expect(run(python, pod, count).status).toBe(0);
        const file = path.join(dir, SENSOR_PARTITION_FILE);
        expect(ini(fs.readFileSync(file, 'utf8'))).toEqual({
          sensorcontainer: { sensor_node_name: pod, partition_provider: `name:hash, hash_ranges:${ranges[ordinal][0]}..${ranges[ordinal][1]}` },
        });
      }
    }
  });

  test.each(each)('under %s, a pod beyond the count (the StatefulSet scaled by hand) refuses to start', (_, python) => {
    const result = run(python, 'st2sensorcontainer-3', 3);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      'st2sensorcontainer-3 has no hash partition: there are 3; change st2.sensorContainer.partitioning.partitions, not the StatefulSet',
    );
  });
});

test('synthesized file mode mounts the partition file', () => {
  const o = synth({ datastores: coordination, st2: { sensorContainer: { partitioning: { mode: 'file', assignments: { a: ['p.S1'], b: ['p.S2'] } } } } });
  expect(find(o, 'ConfigMap', 'st2sensorcontainer-partitions').data!['partitions.yaml']).toBe('a:\n  - p.S1\nb:\n  - p.S2\n');
  expect(container(find(o, 'Deployment', 'st2sensorcontainer-a')).volumeMounts).toContainEqual({
    name: 'sensor-partitions',
    mountPath: '/etc/st2/sensor-partitions',
    readOnly: true,
  });
  expect(validateAll(o)).toEqual([]);
});
