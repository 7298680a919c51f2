// What a cdk8s app composes. Renderers and helpers stay internal: the constructs use them.

// The whole deployment, and the thin Chart the synth writes to dist/.
export * from './stackstorm-ha';
export * from './stackstorm-ha-chart';

// Settings (what a values file holds) and the endpoints components hand each other.
export * from './config/settings';
export * from './config/component';
export * from './config/st2';
export * from './config/content';
export * from './config/edge';
export * from './config/network';
export * from './config/datastores';
export * from './config/endpoints';
export * from './config/mistral';
export type { HaMode } from './config/ha-mode';
export { loadValuesFile, parseValuesFile, ValuesFileError } from './config/values-file';
export { SettingError } from './common/errors';
export type { ReleaseIdentity, ComponentRole } from './common/meta';
export type { ResourceSettings } from './common/resources';

// What a component declares about itself (apply order, security exception, by-design status).
export * from './common/component-profile';

// st2's processes.
export type { St2Runtime, St2Release, St2SecretNames, St2Mounts, St2Probes, St2ProcessProps } from './st2/st2-process';
export { St2Process } from './st2/st2-process';
export {
  ST2_PROCESSES,
  St2PlainProcess,
  St2Api,
  St2Auth,
  St2Stream,
  St2Scheduler,
  St2WorkflowEngine,
  St2ResultsTracker,
  St2TimersEngine,
  St2GarbageCollector,
  ST2API_PORT,
  ST2AUTH_PORT,
  ST2STREAM_PORT,
} from './st2/processes';
export type { St2PlainProcessProps, St2ProcessDefinition } from './st2/processes';
export * from './st2/action-runner';
export * from './st2/rules-engine';
export { St2Notifier, ST2_NOTIFIER_PROFILE, ST2_NOTIFIER_SCHEDULER_PROFILE } from './st2/notifier';
export type { St2NotifierProps } from './st2/notifier';
export * from './st2/sensor-container';
export * from './st2/chatops';
export * from './st2/web';
export * from './st2/jobs';
export { St2SmokeTest, ST2_SMOKE_TEST_PROFILE } from './st2/smoke-test';
export type { St2SmokeTestProps } from './st2/smoke-test';
export * from './st2/st2-config';
export { St2Content } from './st2/content';
export type { St2ContentProps } from './st2/content';

// Datastores and the edge.
export { MongoDbReplicaSet, MONGODB_PROFILE, MONGO_PORT } from './backing/mongodb';
export type { MongoDbReplicaSetProps } from './backing/mongodb';
export { RabbitMq, RABBITMQ_PROFILE } from './backing/rabbitmq';
export type { RabbitMqProps } from './backing/rabbitmq';
export { RedisSentinel, REDIS_SENTINEL_PROFILE } from './backing/redis-sentinel';
export type { RedisSentinelProps } from './backing/redis-sentinel';
export { ZooKeeper, ZOOKEEPER_PROFILE } from './backing/zookeeper';
export type { ZooKeeperProps } from './backing/zookeeper';
export { PostgreSql, POSTGRESQL_PROFILE } from './backing/postgres';
export type { PostgreSqlProps } from './backing/postgres';
export { Nginx, EDGE_PROFILE } from './edge/nginx';
export type { NginxProps } from './edge/nginx';

// Mistral (2.x-mistral topology).
export { MistralConfig } from './mistral/mistral-config';
export type { MistralConfigProps } from './mistral/mistral-config';
export * from './mistral/mistral-api';
export * from './mistral/mistral-server';
export { MistralSchemaJob, MISTRAL_SCHEMA_PROFILE } from './mistral/mistral-schema-job';
export type { MistralSchemaJobProps } from './mistral/mistral-schema-job';

// Policies and the failure-domain report over synthesized manifests.
export { NetworkPolicies } from './policy/network-policy';
export type { NetworkPoliciesProps, NetworkEdge, NetworkPeer, PodGroup } from './policy/network-policy';
export { podSecurityLevel, podSecurityLabels } from './policy/pod-security';
export { SYNC_WAVE_ANNOTATION } from './policy/sync-waves';
export { failureDomainReport } from './report/failure-domains';
export type { FailureDomainReport, ComponentReport, ManifestObject } from './report/failure-domains';
export { renderReport } from './report/report-table';
