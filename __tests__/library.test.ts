/**
 * StackStormHa as a construct in another cdk8s app: nested in the app's own Chart, beside
 * the app's own objects, it keeps its namespace and its stable names.
 */
import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { MongoDbReplicaSet, RabbitMq, RedisSentinel, St2Api, St2ChatOps, St2Scheduler, St2Web, StackStormHa, ZooKeeper } from '../lib';
import { expectSettingError, settingErrorOf } from './support/errors';

const identity = { namespace: 'automation', instance: 'stackstorm' };

test("nested in a Chart of its own namespace and with name hashes, beside the app's objects", () => {
  const chart = new Chart(Testing.app(), 'app', { namespace: 'apps' });
  // A Chart of another namespace, with cdk8s's hashed names on: neither may leak into ours.
  const own = new kplus.ConfigMap(chart, 'AppSettings', { data: { greeting: 'hello' } });
  const deployment = new StackStormHa(chart, 'St2', { namespace: 'automation' });
  const objects = Testing.synth(chart) as { kind: string; metadata: { name: string; namespace?: string } }[];

  expect(objects.find((o) => o.metadata.name === own.name)!.metadata.namespace).toBe('apps');
  expect(own.name).toMatch(/-c8[0-9a-f]{6,}$/);
  const ours = objects.filter((o) => o.metadata.name !== own.name);
  expect(ours.length).toBeGreaterThan(60);
  expect(ours.filter((o) => o.kind !== 'Namespace').every((o) => o.metadata.namespace === 'automation')).toBe(true);
  expect(ours.find((o) => o.kind === 'Namespace')!.metadata).toEqual(expect.not.objectContaining({ namespace: expect.anything() }));
  // The names a values-file deployment gets, not cdk8s's hashed ones.
  for (const name of ['st2api', 'st2-config', 'mongodb', 'st2-smoke-test']) expect(ours.map((o) => o.metadata.name)).toContain(name);
  expect(ours.every((o) => !/-c8[0-9a-f]{6,}$/.test(o.metadata.name))).toBe(true);
  expect(deployment.node.findAll().filter((c) => c instanceof ApiObject)).toHaveLength(ours.length);
});

test('typed members: the components, datastores and endpoints are fields, not looked up by key or type', () => {
  const chart = new Chart(Testing.app(), 'app');
  const ha = new StackStormHa(chart, 'St2', { st2: { chatops: { enabled: true, adapterSecret: 'hubot' } } });
  expect(ha.st2.api).toBeInstanceOf(St2Api);
  expect(ha.st2.chatops).toBeDefined();
  expect(ha.st2.timersEngine).toBeDefined();
  expect(ha.st2.resultsTracker).toBeUndefined(); // 2.x-mistral only
  expect(ha.mistral).toBeUndefined();
  expect(ha.datastores.mongodb).toBeInstanceOf(MongoDbReplicaSet);
  expect(ha.datastores.coordination).toBeInstanceOf(RedisSentinel);
  expect(ha.endpoints.mongo.hosts).toEqual(ha.datastores.mongodb!.endpoint.hosts);
  expect(ha.endpoints.coordination.backend).toBe('redis-sentinel');
});

test('a construct used outside a values file reports the setting path its app passes in', () => {
  const chart = new Chart(Testing.app(), 'app');
  const ha = new StackStormHa(chart, 'St2', {});
  expectSettingError(
    () => new St2Scheduler(chart, 'Extra', { runtime: ha.runtime, settings: { replicas: 0 }, setting: 'automation.extraScheduler' }),
    'automation.extraScheduler.replicas',
    /got 0\. Fix: set it to an integer >= 1/,
  );
});

test.each([
  [
    'MongoDbReplicaSet',
    (chart: Chart) => new MongoDbReplicaSet(chart, 'Db', { identity, setting: 'app.db', settings: { inCluster: { replicas: 2 } } }),
    'app.db.inCluster.replicas',
  ],
  [
    'RabbitMq',
    (chart: Chart) => new RabbitMq(chart, 'Mq', { identity, setting: 'app.mq', settings: { inCluster: { storageSize: '8GB' } } }),
    'app.mq.inCluster.storageSize',
  ],
  ['ZooKeeper', (chart: Chart) => new ZooKeeper(chart, 'Zk', { identity, setting: 'app.zk', storageSize: '2' }), 'app.zk.storageSize'],
  ['RedisSentinel', (chart: Chart) => new RedisSentinel(chart, 'Redis', { identity, setting: 'app.redis', members: 4 }), 'app.redis.replicas'],
])('%s used alone names the setting path its app passes in', (_name, build, setting) => {
  expect(settingErrorOf(() => build(new Chart(Testing.app(), 'app'))).setting).toBe(setting);
});

test('st2 constructs with their own logic name the setting path their app passes in too', () => {
  const chart = new Chart(Testing.app(), 'app');
  const ha = new StackStormHa(chart, 'St2', {});
  const error = settingErrorOf(
    () => new St2Web(chart, 'ExtraWeb', { runtime: ha.runtime, setting: 'automation.ui', settings: { replicas: 0 }, upstreams: {} as never }),
  );
  expect(error.setting).toBe('automation.ui.replicas');
  expect(settingErrorOf(() => new St2ChatOps(chart, 'Bot', { runtime: ha.runtime, setting: 'automation.bot', settings: {} })).setting).toBe(
    'automation.bot.adapterSecret',
  );
});
