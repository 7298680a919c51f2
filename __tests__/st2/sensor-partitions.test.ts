import { SettingError, StackStormHaSettings } from '../../lib';
import { checkHashCoverage, equalHashRanges, HASH_MAX, sensorPartitions } from '../../lib/st2/sensor-partitions';
import { validateAll } from '../support/k8s-schema';
import { container, find, synth } from '../support/synth';

const coordination: StackStormHaSettings['datastores'] = { coordination: { backend: 'external', externalUrl: 'redis://r:6379' } };

test('all-in-one: one pod, default provider', () => {
  expect(sensorPartitions()).toEqual([{ node: 'all', name: 'st2sensorcontainer', args: [], overrides: { sensorcontainer: { sensor_node_name: 'all', partition_provider: 'name:default' } } }]);
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
  expect(() => sensorPartitions({ mode: 'file', assignments: { a: ['git.GitCommitSensor'], b: ['git.GitCommitSensor'] } }))
    .toThrow('sensor git.GitCommitSensor is assigned to both a and b (overlapping partitions)');
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
  expect(() => sensorPartitions({ mode: 'kvstore', nodes: ['a'], partitions: 3 })).toThrow('st2.sensorContainer.partitioning.partitions: does not apply to mode kvstore');
  expect(() => sensorPartitions({ mode: 'hash' })).toThrow('st2.sensorContainer.partitioning.partitions: got undefined');
});

test('synthesized: each partition is a one-replica Deployment with its own node name in its own config', () => {
  const o = synth({ datastores: coordination, st2: { sensorContainer: { partitioning: { mode: 'hash', partitions: 3 } } } });
  const names = o.filter((x) => x.kind === 'Deployment' && x.metadata.name.startsWith('st2sensorcontainer')).map((x) => x.metadata.name);
  expect(names).toEqual(['st2sensorcontainer-hash-0', 'st2sensorcontainer-hash-1', 'st2sensorcontainer-hash-2']);
  for (const name of names) {
    const d = find(o, 'Deployment', name);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy.type).toBe('Recreate');
    expect(container(d).command).toContain(`--config-file=/etc/st2/overrides/${name}.conf`);
    expect(find(o, 'ConfigMap', `${name}-config`).data![`${name}.conf`]).toContain(`sensor_node_name = ${name.replace('st2sensorcontainer-', '')}`);
  }
  expect(validateAll(o)).toEqual([]);
});

test('synthesized file mode mounts the partition file', () => {
  const o = synth({ datastores: coordination, st2: { sensorContainer: { partitioning: { mode: 'file', assignments: { a: ['p.S1'], b: ['p.S2'] } } } } });
  expect(find(o, 'ConfigMap', 'st2sensorcontainer-partitions').data!['partitions.yaml']).toBe('a:\n  - p.S1\nb:\n  - p.S2\n');
  expect(container(find(o, 'Deployment', 'st2sensorcontainer-a')).volumeMounts).toContainEqual({ name: 'sensor-partitions', mountPath: '/etc/st2/sensor-partitions', readOnly: true });
  expect(validateAll(o)).toEqual([]);
});
