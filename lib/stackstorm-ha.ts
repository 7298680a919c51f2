import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { check, requireInteger, SettingError } from './common/errors';
import { componentLabels, DEFAULT_CLUSTER_DOMAIN, labelAll, ReleaseIdentity, serviceHost } from './common/meta';
import { checkPlacement, DIGEST, FLOATING_TAG, mergePlacement, PlacementSettings } from './common/workload';
import { imageModelOf, ST2_STANLEY } from './images/image-model';
import { CoordinationEndpoint, MongoEndpoint, PostgresEndpoint, RabbitMqEndpoint } from './config/endpoints';
import { StackStormHaSettings } from './config/settings';
import { St2RbacSettings } from './config/st2';
import { REDIS_SENTINEL_PROFILE, RedisSentinel } from './backing/redis-sentinel';
import { ZooKeeper, ZOOKEEPER_PROFILE } from './backing/zookeeper';
import { MONGO_PORT, MongoDbReplicaSet, MONGODB_PROFILE } from './backing/mongodb';
import { POSTGRES_PORT } from './backing/postgres-conf';
import { RABBITMQ_PORTS } from './backing/rabbitmq-conf';
import { REDIS_PORTS } from './backing/redis-conf';
import { ZOOKEEPER_PORTS } from './backing/zoo-cfg';
import { EdgeUpstream, NGINX_PORT_DEFAULTS } from './edge/nginx-conf';
import { ComponentPorts } from './config/network';
import { RabbitMq, RABBITMQ_PROFILE } from './backing/rabbitmq';
import {
  checkGarbageCollectionTtls,
  St2Api,
  ST2API_PORT,
  St2Auth,
  ST2AUTH_PORT,
  St2GarbageCollector,
  St2ResultsTracker,
  St2Scheduler,
  ST2_PROCESSES,
  St2Stream,
  ST2STREAM_PORT,
  St2TimersEngine,
  St2WorkflowEngine,
} from './st2/processes';
import { ST2_WEB_PROFILE, St2Web, ST2WEB_PORT } from './st2/web';
import { EDGE_PROFILE, Nginx } from './edge/nginx';
import { ST2_ACTION_RUNNER_PROFILE, St2ActionRunner } from './st2/action-runner';
import { ST2_CHATOPS_PROFILE, St2ChatOps } from './st2/chatops';
import { ST2_LOAD_KEYS_PROFILE, ST2_REGISTER_CONTENT_PROFILE, St2Jobs } from './st2/jobs';
import { ST2_SMOKE_TEST_PROFILE, St2SmokeTest } from './st2/smoke-test';
import { ST2_NOTIFIER_PROFILE, ST2_NOTIFIER_SCHEDULER_PROFILE, St2Notifier } from './st2/notifier';
import { ST2_RULES_ENGINE_PROFILE, ST2_RULES_ENGINE_TIMERS_PROFILE, St2RulesEngine } from './st2/rules-engine';
import { ST2_SENSOR_CONTAINER_PROFILE, St2SensorContainer } from './st2/sensor-container';
import { St2Config } from './st2/st2-config';
import { St2ConfInput, st2ConfDocument } from './st2/st2-conf';
import { resolveSt2ConfigPassthrough } from './st2/st2-config-passthrough';
import { authBackendPorts, resolveAuthBackend } from './st2/auth-backend';
import { ST2_APPLY_RBAC_PROFILE, St2Rbac } from './st2/rbac';
import { St2Client, ST2_CLIENT_PROFILE } from './st2/client';
import { St2Content } from './st2/content';
import { St2Release, St2Runtime, St2SecretNames } from './st2/st2-process';
import { st2Image } from './st2/images';
import { resolveTopology } from './config/topology';
import { checkPostgresMode, externalPostgresEndpoint, PostgreSql, POSTGRESQL_PROFILE } from './backing/postgres';
import { MISTRAL_API_PORT } from './mistral/mistral-conf';
import { MistralConfig } from './mistral/mistral-config';
import { MistralApi, MISTRAL_API_PROFILE } from './mistral/mistral-api';
import { MistralServer, MISTRAL_SERVER_PROFILE } from './mistral/mistral-server';
import { MistralSchemaJob, MISTRAL_SCHEMA_PROFILE } from './mistral/mistral-schema-job';
import { NetworkPolicies } from './policy/network-policy';
import { deploymentEdges, deploymentNetwork, networkGroups, resolveNetworkPolicySettings, ResolvedNetworkPolicySettings } from './policy/network-edges';
import { labelPodSecurity, podSecurityLevel } from './policy/pod-security';
import { ComponentProfile, profilesIn } from './common/component-profile';
import { applySyncWaves } from './policy/sync-waves';
import { applyPodDefaults, checkPodDefaults, PodDefaults } from './policy/pod-defaults';
import { checkRegistryMirror } from './common/registry-mirror';

/** Props of {@link StackStormHa}: the settings a values file holds. */
export type StackStormHaProps = StackStormHaSettings;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** Where the official st2 images exist: the image model's answer for st2api. */
const ST2_IMAGE_ARCHITECTURES = imageModelOf('st2api')!.architectures.value;

/** The ports every component serves, for the NetworkPolicies. */
const COMPONENT_PORTS: ComponentPorts = {
  st2api: ST2API_PORT,
  st2auth: ST2AUTH_PORT,
  st2stream: ST2STREAM_PORT,
  st2web: ST2WEB_PORT,
  mistralApi: MISTRAL_API_PORT,
  mongodb: { client: [MONGO_PORT], peer: [MONGO_PORT] },
  rabbitmq: { client: [RABBITMQ_PORTS.amqp], peer: [RABBITMQ_PORTS.epmd, RABBITMQ_PORTS.dist] },
  redisSentinel: { client: [REDIS_PORTS.redis, REDIS_PORTS.sentinel], peer: [REDIS_PORTS.redis, REDIS_PORTS.sentinel] },
  zookeeper: { client: [ZOOKEEPER_PORTS.client], peer: Object.values(ZOOKEEPER_PORTS) },
  postgresql: { client: [POSTGRES_PORT], peer: [] },
  edge: { http: NGINX_PORT_DEFAULTS.http, https: NGINX_PORT_DEFAULTS.https },
};

/**
 * The profile of every component StackStormHa can build, as each declares it in its own
 * file: for readers of synthesized output (the failure-domain report, the policy tests)
 * that have manifests, not constructs.
 */
export const COMPONENT_PROFILES: readonly ComponentProfile[] = [
  ...Object.values(ST2_PROCESSES).map((definition) => definition.profile),
  ST2_RULES_ENGINE_PROFILE,
  ST2_RULES_ENGINE_TIMERS_PROFILE,
  ST2_ACTION_RUNNER_PROFILE,
  ST2_NOTIFIER_PROFILE,
  ST2_NOTIFIER_SCHEDULER_PROFILE,
  ST2_SENSOR_CONTAINER_PROFILE,
  ST2_CHATOPS_PROFILE,
  ST2_WEB_PROFILE,
  ST2_REGISTER_CONTENT_PROFILE,
  ST2_LOAD_KEYS_PROFILE,
  ST2_APPLY_RBAC_PROFILE,
  ST2_CLIENT_PROFILE,
  ST2_SMOKE_TEST_PROFILE,
  MISTRAL_API_PROFILE,
  MISTRAL_SERVER_PROFILE,
  MISTRAL_SCHEMA_PROFILE,
  MONGODB_PROFILE,
  RABBITMQ_PROFILE,
  REDIS_SENTINEL_PROFILE,
  ZOOKEEPER_PROFILE,
  POSTGRESQL_PROFILE,
  EDGE_PROFILE,
];

/** The StackStorm release deployed when `release.version` is not set. */
export const DEFAULT_ST2_VERSION = '3.9.0';

/** The st2 components StackStormHa built; a component turned off, or not in the topology, is absent. */
export interface St2Components {
  readonly api?: St2Api;
  readonly auth?: St2Auth;
  readonly stream?: St2Stream;
  readonly rulesEngine?: St2RulesEngine;
  /** 3.x only. */
  readonly timersEngine?: St2TimersEngine;
  /** 3.x only. */
  readonly workflowEngine?: St2WorkflowEngine;
  /** 3.x only. */
  readonly scheduler?: St2Scheduler;
  /** 2.x-mistral only. */
  readonly resultsTracker?: St2ResultsTracker;
  readonly actionRunner?: St2ActionRunner;
  readonly notifier?: St2Notifier;
  readonly sensorContainer?: St2SensorContainer;
  /** Only when a TTL is set. */
  readonly garbageCollector?: St2GarbageCollector;
  /** Only when enabled. */
  readonly chatops?: St2ChatOps;
  /** Content registration and key loading. */
  readonly jobs: St2Jobs;
  /** RBAC definitions and the Job applying them, when RBAC is on. */
  readonly rbac?: St2Rbac;
  /** The st2 CLI pod, when enabled. */
  readonly client?: St2Client;
  /** The post-deploy smoke test, when every component it exercises is deployed. */
  readonly smokeTest?: St2SmokeTest;
  readonly web: St2Web;
}

/** Mistral (2.x-mistral topology). */
export interface MistralComponents {
  readonly config: MistralConfig;
  readonly api: MistralApi;
  readonly server: MistralServer;
  readonly schema: MistralSchemaJob;
}

/** The datastores StackStormHa runs in the cluster; an external one is absent here. */
export interface InClusterDatastores {
  readonly mongodb?: MongoDbReplicaSet;
  readonly rabbitmq?: RabbitMq;
  readonly coordination?: RedisSentinel | ZooKeeper;
  /** 2.x-mistral only. */
  readonly postgresql?: PostgreSql;
}

/** How st2 (and Mistral) reach each datastore, in the cluster or outside it. */
export interface DatastoreEndpoints {
  readonly mongo: MongoEndpoint;
  readonly rabbit: RabbitMqEndpoint;
  readonly coordination: CoordinationEndpoint;
  /** 2.x-mistral only. */
  readonly postgres?: PostgresEndpoint;
}

/**
 * The whole deployment: picks the components for the topology, hands each the endpoints
 * of the others, and puts every object in one namespace with stable, human names. A
 * construct, so it can live in any cdk8s Chart beside the app's own objects (the Chart's
 * namespace does not apply: every object goes to `namespace`); StackStormHaChart is the
 * one-deployment Chart the synth writes to dist/.
 */
export class StackStormHa extends Construct {
  public readonly identity: ReleaseIdentity;
  public readonly runtime: St2Runtime;
  /** The st2 components built. */
  public readonly st2: St2Components;
  /** Mistral's components, in the 2.x-mistral topology. */
  public readonly mistral?: MistralComponents;
  /** The datastores run in the cluster. */
  public readonly datastores: InClusterDatastores;
  /** Where every datastore is reached. */
  public readonly endpoints: DatastoreEndpoints;
  /** The nginx edge in front of every HTTP service. */
  public readonly edge: Nginx;

  constructor(scope: Construct, id: string, props: StackStormHaProps = {}) {
    const namespace = props.namespace ?? 'stackstorm';
    check(
      DNS_LABEL.test(namespace),
      'namespace',
      `${JSON.stringify(namespace)} is not a DNS label`,
      'use lower-case letters, digits and -, at most 63 characters',
    );
    super(scope, id);
    const instance = props.instance ?? 'stackstorm';
    check(DNS_LABEL.test(instance), 'instance', `${JSON.stringify(instance)} is not a DNS label`, 'use lower-case letters, digits and -');
    const clusterDomain = props.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    check(
      DNS_NAME.test(clusterDomain),
      'clusterDomain',
      `${JSON.stringify(clusterDomain)} is not a DNS domain`,
      "give the kubelet's clusterDomain without a trailing dot, e.g. cluster.local (see `kubectl get cm -n kube-system coredns -o yaml`)",
    );
    this.identity = { namespace, instance, clusterDomain };
    const { legacy } = resolveTopology(props);
    const release: St2Release = {
      version: props.release?.version ?? DEFAULT_ST2_VERSION,
      digest: props.release?.digest,
      registry: props.release?.registry ?? 'docker.io/stackstorm',
      pullPolicy: props.release?.pullPolicy,
      architectures: props.release?.architectures ?? ST2_IMAGE_ARCHITECTURES,
    };
    check(
      release.architectures.length > 0 && release.architectures.every((arch) => /^[a-z0-9]+$/.test(arch)),
      'release.architectures',
      `${JSON.stringify(release.architectures)} names no CPU architecture`,
      'list kubernetes.io/arch values such as amd64, or leave it out for the official images (amd64 only)',
    );
    check(
      release.digest === undefined || DIGEST.test(release.digest),
      'release.digest',
      `${JSON.stringify(release.digest)} is not an image digest`,
      'write sha256: and the 64 hex digits `docker buildx imagetools inspect` prints',
    );
    check(
      !FLOATING_TAG.test(release.version) || release.digest !== undefined,
      'release.version',
      `${JSON.stringify(release.version)} floats to the newest patch release, so nodes could run different releases against one database`,
      `name the full release (e.g. ${DEFAULT_ST2_VERSION}) or pin release.digest`,
    );
    const st2RunAs = props.release?.st2RunAs ?? { user: ST2_STANLEY.uid!.value, group: ST2_STANLEY.gid!.value };
    requireInteger(st2RunAs.user, 'release.st2RunAs.user', 1, 2147483647);
    requireInteger(st2RunAs.group, 'release.st2RunAs.group', 1, 2147483647);
    const networkPolicy = resolveNetworkPolicySettings(props.networkPolicy);
    checkPlacement(props.placement, 'placement');
    const podDefaults: PodDefaults = { imagePullSecrets: props.release?.imagePullSecrets ?? [], registryMirror: props.release?.registryMirror };
    checkPodDefaults(podDefaults);
    if (podDefaults.registryMirror !== undefined) checkRegistryMirror(podDefaults.registryMirror, 'release.registryMirror');

    this.addNamespace();

    const secrets: St2SecretNames = {
      datastoreKey: props.secrets?.datastoreKey ?? 'st2-datastore-key',
      htpasswd: props.secrets?.htpasswd ?? 'st2-htpasswd',
      sshKey: props.secrets?.sshKey ?? 'st2-ssh-key',
      adminCredentials: props.secrets?.adminCredentials ?? 'st2-admin',
    };
    const mongodb = this.addMongoDb(props);
    const rabbitmq = this.addRabbitMq(props);
    const coordinationBackend = this.addCoordination(props);
    const { endpoint: mongo } = mongodb;
    const { endpoint: rabbit } = rabbitmq;
    const { endpoint: coordination } = coordinationBackend;
    const publicUrl = (props.publicUrl ?? 'https://stackstorm.example.com').replace(/\/+$/, '');

    const conf: St2ConfInput = {
      mongo,
      rabbit,
      coordination,
      // Actions and sensors get this as ST2_API_URL: the in-cluster Service, so they need
      // neither the public certificate nor hairpin routing through the load balancer.
      apiUrl: `http://${serviceHost(this.identity, 'st2api')}:${ST2API_PORT}`,
      webUrl: publicUrl,
      authEnabled: true,
      rbacEnabled: rbacOn(props.st2?.rbac),
      rbacSyncRemoteGroups: Object.keys(props.st2?.rbac?.groupMappings ?? {}).length > 0,
      systemUser: 'stanley',
      // st2 2.x runners have no graceful shutdown: nothing to size a drain for.
      actionRunnerDrainSeconds: legacy ? undefined : 300,
      // 2.x has no st2workflowengine; its timers run in the rules engine.
      workflowEngineDrainSeconds: legacy ? undefined : 300,
      streamHeartbeatSeconds: 25,
      timersIn: legacy ? 'rulesengine' : 'timersengine',
      garbageCollection: this.garbageCollection(props),
      // The guide: in HA, st2 reaches Mistral, and Mistral calls st2 back, only through
      // the load balancer, never one instance directly.
      mistral: legacy ? { v2BaseUrl: `${publicUrl}/mistral/v2`, apiUrl: `${publicUrl}/api` } : undefined,
      allowOrigins: checkOrigins(props.st2?.allowOrigins),
      auth: resolveAuthBackend(props.st2?.auth),
    };
    // The passthrough is checked against everything StackStormHa itself sets.
    const config = new St2Config(this, 'St2Config', { conf: { ...conf, extra: resolveSt2ConfigPassthrough(props.st2?.config, st2ConfDocument(conf)) } });
    const content = new St2Content(this, 'Content', {
      settings: props.content ?? { strategy: 'shared-volumes' },
      systemPacksImage: st2Image({ release }, 'st2actionrunner'),
    });
    labelAll(content, componentLabels(this.identity, 'st2-content', 'content', release.version));
    labelAll(config, componentLabels(this.identity, 'st2-config', 'backend', release.version));

    this.runtime = {
      identity: this.identity,
      config,
      content,
      secrets,
      mongoPassword: mongo.password,
      rabbitPassword: rabbit.password,
      // An external or absent backend is not waited for: st2 starts without it (tooz retries).
      waitFor:
        coordination.backend === 'redis-sentinel' || coordination.backend === 'zookeeper'
          ? [mongo.hosts, rabbit.hosts, coordination.hosts]
          : [mongo.hosts, rabbit.hosts],
      st2User: st2RunAs,
      placement: props.placement,
      release,
    };

    const processes = this.addSt2Processes(props, legacy);
    const mistral = legacy ? this.addMistral(props, rabbit) : undefined;
    this.mistral = mistral?.components;
    const { web, edge } = this.addEdge(props, publicUrl, legacy);
    this.st2 = { ...processes, web };
    this.edge = edge;
    this.datastores = {
      mongodb: mongodb.construct,
      rabbitmq: rabbitmq.construct,
      coordination: coordinationBackend.construct,
      postgresql: mistral?.postgresql,
    };
    this.endpoints = { mongo, rabbit, coordination, postgres: mistral?.postgres };
    this.addPolicies(props, networkPolicy);
    // Last: every object (and its component label) exists now.
    applyPodDefaults(this, podDefaults);
    applySyncWaves(this);
    placeInNamespace(this, namespace);
  }

  /** The guide's processes, each on unless `enabled: false`; GC and chatops only when configured. */
  private addSt2Processes(props: StackStormHaSettings, legacy: boolean): Omit<St2Components, 'web'> {
    const st2 = props.st2 ?? {};
    const runtime = this.runtime;
    const on = (settings: { enabled?: boolean } | undefined, byDefault = true) => settings?.enabled ?? byDefault;
    const api = on(st2.api) ? new St2Api(this, 'St2Api', { runtime, settings: st2.api }) : undefined;
    const auth = on(st2.auth) ? new St2Auth(this, 'St2Auth', { runtime, settings: st2.auth }) : undefined;
    const stream = on(st2.stream) ? new St2Stream(this, 'St2Stream', { runtime, settings: st2.stream }) : undefined;
    const rulesEngine = on(st2.rulesEngine)
      ? new St2RulesEngine(this, 'St2RulesEngine', { runtime, settings: st2.rulesEngine, timersInRulesEngine: legacy })
      : undefined;
    // 3.x only: in 2.x the rules engine fires timers, Mistral runs workflows, and the
    // notifier's backup scheduler covers what the action runners' scheduling misses.
    const timersEngine = !legacy && on(st2.timersEngine) ? new St2TimersEngine(this, 'St2TimersEngine', { runtime, settings: st2.timersEngine }) : undefined;
    const workflowEngine =
      !legacy && on(st2.workflowEngine) ? new St2WorkflowEngine(this, 'St2WorkflowEngine', { runtime, settings: st2.workflowEngine }) : undefined;
    const scheduler = !legacy && on(st2.scheduler) ? new St2Scheduler(this, 'St2Scheduler', { runtime, settings: st2.scheduler }) : undefined;
    const resultsTracker =
      legacy && on(st2.resultsTracker) ? new St2ResultsTracker(this, 'St2ResultsTracker', { runtime, settings: st2.resultsTracker }) : undefined;
    const actionRunner = on(st2.actionRunner) ? new St2ActionRunner(this, 'St2ActionRunner', { runtime, settings: st2.actionRunner }) : undefined;
    const notifier = on(st2.notifier) ? new St2Notifier(this, 'St2Notifier', { runtime, settings: st2.notifier, legacyBackupScheduler: legacy }) : undefined;
    const sensorContainer = on(st2.sensorContainer)
      ? new St2SensorContainer(this, 'St2SensorContainer', { runtime, settings: st2.sensorContainer })
      : undefined;
    const garbageCollector = on(st2.garbageCollector, st2.garbageCollector?.ttl !== undefined)
      ? new St2GarbageCollector(this, 'St2GarbageCollector', { runtime, settings: st2.garbageCollector })
      : undefined;
    const chatops = on(st2.chatops, false) ? new St2ChatOps(this, 'St2ChatOps', { runtime, settings: st2.chatops ?? {} }) : undefined;
    const client = on(st2.client, false) ? new St2Client(this, 'St2Client', { runtime, settings: st2.client }) : undefined;
    const jobs = new St2Jobs(this, 'St2Jobs', { runtime, settings: st2.jobs });
    const rbac = runtime.config.conf.rbacEnabled ? new St2Rbac(this, 'St2Rbac', { runtime, settings: st2.rbac ?? {} }) : undefined;
    // What the smoke test exercises: it logs in, runs an action and reads the stream.
    const untestable = Object.entries({ api, auth, stream, actionRunner })
      .filter(([, built]) => built === undefined)
      .map(([key]) => `st2.${key}`);
    if (st2.smokeTest?.enabled === true && untestable.length > 0) {
      throw new SettingError(
        'st2.smokeTest.enabled',
        `the smoke test logs in and runs an action, but ${untestable.join(', ')} is not deployed`,
        'deploy those components, or set st2.smokeTest.enabled: false',
      );
    }
    const smokeTest = on(st2.smokeTest, untestable.length === 0)
      ? new St2SmokeTest(this, 'St2SmokeTest', { runtime, settings: st2.smokeTest, rbacEnabled: this.runtime.config.conf.rbacEnabled })
      : undefined;
    return {
      rbac,
      client,
      api,
      auth,
      stream,
      rulesEngine,
      timersEngine,
      workflowEngine,
      scheduler,
      resultsTracker,
      actionRunner,
      notifier,
      sensorContainer,
      garbageCollector,
      chatops,
      jobs,
      smokeTest,
    };
  }

  /**
   * 2.x-mistral: PostgreSQL (in-cluster or external), mistral.conf, mistral-api,
   * mistral-server and the schema Job, all from `<release.registry>/mistral:<release.version>`
   * unless overridden, running as the st2 user.
   */
  private addMistral(
    props: StackStormHaSettings,
    rabbit: RabbitMqEndpoint,
  ): { components: MistralComponents; postgresql?: PostgreSql; postgres: PostgresEndpoint } {
    const mistral = props.mistral ?? {};
    const postgresSettings = mistral.postgresql ?? {};
    const postgresql =
      checkPostgresMode(postgresSettings) === 'external'
        ? undefined
        : new PostgreSql(this, 'PostgreSql', {
            identity: this.identity,
            settings: postgresSettings,
            placement: this.datastorePlacement(props, postgresSettings.inCluster?.placement, 'mistral.postgresql.inCluster.placement'),
            jobPlacement: props.placement,
          });
    const postgres = postgresql?.endpoint ?? externalPostgresEndpoint(postgresSettings);
    const { release } = this.runtime;
    const config = new MistralConfig(this, 'MistralConfig', {
      identity: this.identity,
      rabbit,
      postgres,
      image: st2Image({ release }, 'mistral'),
      runAs: this.runtime.st2User,
      version: release.version,
      architectures: release.architectures,
      placement: props.placement,
    });
    labelAll(config, componentLabels(this.identity, 'mistral-config', 'workflow', release.version));
    const components: MistralComponents = {
      config,
      api: new MistralApi(this, 'MistralApi', { config, settings: mistral.api }),
      server: new MistralServer(this, 'MistralServer', { config, settings: mistral.server }),
      schema: new MistralSchemaJob(this, 'MistralSchemaJob', { config }),
    };
    return { components, postgresql, postgres };
  }

  private garbageCollection(props: StackStormHaSettings) {
    const gc = props.st2?.garbageCollector;
    if (!gc || gc.enabled === false) return undefined;
    if (gc.ttl === undefined && gc.enabled) checkGarbageCollectionTtls({});
    if (gc.ttl !== undefined) checkGarbageCollectionTtls(gc.ttl);
    return gc.ttl;
  }

  /** The coordination backend: built in the cluster (redis-sentinel, zookeeper), or only its tooz endpoint. */
  private addCoordination(props: StackStormHaSettings): { construct?: RedisSentinel | ZooKeeper; endpoint: CoordinationEndpoint } {
    const settings = props.datastores?.coordination ?? {};
    const backend = settings.backend ?? 'redis-sentinel';
    const inCluster = settings.inCluster ?? {};
    const common = {
      identity: this.identity,
      members: inCluster.replicas,
      image: inCluster.image,
      resources: inCluster.resources,
      placement: this.datastorePlacement(props, inCluster.placement, 'datastores.coordination.inCluster.placement'),
    };
    switch (backend) {
      case 'redis-sentinel': {
        const construct = new RedisSentinel(this, 'RedisSentinel', {
          ...common,
          downAfterMilliseconds: settings.sentinel?.downAfterMilliseconds,
          failoverTimeoutMilliseconds: settings.sentinel?.failoverTimeoutMilliseconds,
        });
        return { construct, endpoint: construct.endpoint };
      }
      case 'zookeeper': {
        const construct = new ZooKeeper(this, 'ZooKeeper', { ...common, storageSize: inCluster.storageSize, storageClassName: inCluster.storageClassName });
        return { construct, endpoint: construct.endpoint };
      }
      case 'external':
        check(
          !!settings.externalUrl && /^[a-z][a-z0-9+]*:\/\/\S+$/.test(settings.externalUrl),
          'datastores.coordination.externalUrl',
          settings.externalUrl ? `${JSON.stringify(settings.externalUrl)} is not a tooz URL` : 'the external backend names no URL',
          'give a tooz URL such as kazoo://zk-a:2181,zk-b:2181,zk-c:2181 or redis://host:26379?sentinel=name, or choose another backend',
        );
        return { endpoint: { backend: 'external', url: settings.externalUrl, hosts: [] } };
      case 'none':
        return { endpoint: { backend: 'none', hosts: [] } };
      default:
        throw new SettingError(
          'datastores.coordination.backend',
          `unknown backend ${JSON.stringify(backend)}`,
          'use redis-sentinel, zookeeper, external or none',
        );
    }
  }

  /**
   * st2web and the nginx edge. Routes name the st2 Services by their stable names and
   * cluster FQDNs (nginx's resolver applies no search domains); a disabled component's
   * route answers 502 instead of stopping nginx.
   */
  private addEdge(props: StackStormHaSettings, publicUrl: string, legacy: boolean): { web: St2Web; edge: Nginx } {
    const service = (name: string, port: number): EdgeUpstream => ({ host: serviceHost(this.identity, name), port });
    const api = service('st2api', ST2API_PORT);
    const auth = service('st2auth', ST2AUTH_PORT);
    const stream = service('st2stream', ST2STREAM_PORT);
    const web = new St2Web(this, 'St2Web', { runtime: this.runtime, settings: props.st2?.web, upstreams: { api, auth, stream } });
    const edge = new Nginx(this, 'Edge', {
      identity: this.identity,
      placement: props.placement,
      upstreams: { api, auth, stream, web: service(web.service.name, ST2WEB_PORT), mistral: legacy ? service('mistral-api', MISTRAL_API_PORT) : undefined },
      streamHeartbeatSeconds: this.runtime.config.conf.streamHeartbeatSeconds,
      publicHost: new URL(publicUrl).hostname,
      settings: props.edge,
    });
    return { web, edge };
  }

  /**
   * Labels the namespace with the Pod Security level every deployed pod meets, and hands
   * the components built above to the NetworkPolicies as the guide's edge list.
   */
  private addPolicies(props: StackStormHaSettings, settings: ResolvedNetworkPolicySettings): void {
    labelPodSecurity(ApiObject.of(this.node.findChild('Namespace')), podSecurityLevel(profilesIn(this)));
    if (props.networkPolicy?.enabled === false) return;
    const { st2, mistral, datastores } = this;
    const defined = (...constructs: (Construct | undefined)[]): Construct[] => constructs.filter((c): c is Construct => c !== undefined);
    const network = deploymentNetwork({
      st2Processes: defined(
        st2.api,
        st2.auth,
        st2.stream,
        st2.rulesEngine,
        st2.timersEngine,
        st2.workflowEngine,
        st2.scheduler,
        st2.resultsTracker,
        st2.actionRunner,
        st2.notifier,
        st2.sensorContainer,
        st2.garbageCollector,
        st2.jobs,
        st2.rbac,
      ),
      automation: defined(st2.actionRunner, st2.sensorContainer, st2.chatops),
      api: st2.api,
      auth: st2.auth,
      stream: st2.stream,
      web: st2.web,
      chatops: st2.chatops,
      client: st2.client,
      smokeTest: st2.smokeTest,
      mistral: mistral && { api: mistral.api, server: mistral.server, schema: mistral.schema },
      edge: this.edge,
      ...datastores,
      endpoints: this.endpoints,
      edgeSettings: props.edge,
      ports: COMPONENT_PORTS,
      authBackendPorts: this.runtime.config.conf.auth && authBackendPorts(this.runtime.config.conf.auth),
    });
    const policies = new NetworkPolicies(this, 'NetworkPolicies', { groups: networkGroups(network), edges: deploymentEdges(network, settings) });
    labelAll(policies, componentLabels(this.identity, 'network-policy', 'policy', this.runtime.release.version));
  }

  private addNamespace(): void {
    const namespace = new kplus.Namespace(this, 'Namespace', { metadata: { name: this.identity.namespace } });
    labelAll(namespace, componentLabels(this.identity, 'namespace', 'namespace', 'v1'));
  }

  /** A datastore's own placement over the global one, key by key, checked under `setting`. */
  private datastorePlacement(props: StackStormHaSettings, own: PlacementSettings | undefined, setting: string): PlacementSettings | undefined {
    checkPlacement(own, setting);
    return mergePlacement(props.placement, own);
  }

  /** MongoDB: the in-cluster replica set, or only the endpoint of an external one. */
  private addMongoDb(props: StackStormHaSettings): { construct?: MongoDbReplicaSet; endpoint: MongoEndpoint } {
    const settings = props.datastores?.mongodb ?? {};
    const secretName = settings.secretName ?? 'st2-mongodb';
    const common = {
      database: settings.database ?? 'st2',
      username: settings.username ?? 'st2',
      password: { name: secretName, key: 'password' },
    };
    if ((settings.mode ?? 'in-cluster') === 'external') {
      const external = settings.external;
      check(
        !!external && external.hosts.length > 0,
        'datastores.mongodb.external.hosts',
        'external mode names no host',
        'list every member as host:port, or use mode: in-cluster',
      );
      check(
        settings.replicaSet === undefined,
        'datastores.mongodb.replicaSet',
        'names the in-cluster replica set, which external mode does not run',
        "set datastores.mongodb.external.replicaSet to the external set's name",
      );
      check(
        external.tlsCaSecret === undefined || external.tls === true,
        'datastores.mongodb.external.tlsCaSecret',
        'a CA without TLS is never used',
        'set datastores.mongodb.external.tls: true, or remove tlsCaSecret',
      );
      const authSource = settings.authSource ?? common.database;
      check(
        /^[A-Za-z0-9_-]+$/.test(authSource),
        'datastores.mongodb.authSource',
        `${JSON.stringify(authSource)} is not a database name`,
        'use letters, digits, _ and -',
      );
      return {
        endpoint: { ...common, hosts: external.hosts, replicaSet: external.replicaSet, tls: external.tls, authSource, tlsCaSecret: external.tlsCaSecret },
      };
    }
    const construct = new MongoDbReplicaSet(this, 'MongoDb', {
      identity: this.identity,
      settings,
      placement: this.datastorePlacement(props, settings.inCluster?.placement, 'datastores.mongodb.inCluster.placement'),
      jobPlacement: props.placement,
    });
    return { construct, endpoint: construct.endpoint };
  }

  /** RabbitMQ: the in-cluster cluster, or only the endpoint of an external one. */
  private addRabbitMq(props: StackStormHaSettings): { construct?: RabbitMq; endpoint: RabbitMqEndpoint } {
    const settings = props.datastores?.rabbitmq ?? {};
    const common = {
      vhost: settings.vhost ?? '',
      username: settings.username ?? 'st2',
      password: { name: settings.secretName ?? 'st2-rabbitmq', key: 'password' },
    };
    if ((settings.mode ?? 'in-cluster') === 'external') {
      const external = settings.external;
      check(
        !!external && external.hosts.length > 0,
        'datastores.rabbitmq.external.hosts',
        'external mode names no host',
        'list every node as host:port, or use mode: in-cluster',
      );
      return { endpoint: { ...common, hosts: external.hosts } };
    }
    const construct = new RabbitMq(this, 'RabbitMq', {
      identity: this.identity,
      settings,
      placement: this.datastorePlacement(props, settings.inCluster?.placement, 'datastores.rabbitmq.inCluster.placement'),
    });
    return { construct, endpoint: construct.endpoint };
  }
}

/** RBAC is on; definitions without `enabled: true` would silently do nothing, so they are refused. */
function rbacOn(rbac: St2RbacSettings | undefined): boolean {
  const defines = Object.keys(rbac?.roles ?? {}).length + Object.keys(rbac?.assignments ?? {}).length + Object.keys(rbac?.groupMappings ?? {}).length > 0;
  check(
    rbac?.enabled === true || !defines,
    'st2.rbac.enabled',
    'roles, assignments or group mappings are given but RBAC is off, so none would apply',
    'set st2.rbac.enabled: true',
  );
  return rbac?.enabled === true;
}

/** Extra CORS origins: each scheme://host[:port], nothing after it. */
function checkOrigins(origins: readonly string[] | undefined): readonly string[] | undefined {
  (origins ?? []).forEach((origin, index) =>
    check(
      /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(origin),
      `st2.allowOrigins[${index}]`,
      `${JSON.stringify(origin)} is not an origin`,
      'write scheme://host[:port] with no path, e.g. https://ops.example.com',
    ),
  );
  return origins;
}

/** Kinds without a namespace among those StackStormHa creates. */
const CLUSTER_SCOPED: ReadonlySet<string> = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'StorageClass']);

/**
 * Puts every namespaced object of `scope` in `namespace`, whatever Chart holds it: a
 * Chart's own namespace is given to its objects when they are created, so it is replaced
 * (or removed from cluster-scoped objects) at synthesis.
 */
function placeInNamespace(scope: Construct, namespace: string): void {
  for (const construct of scope.node.findAll()) {
    if (!(construct instanceof ApiObject)) continue;
    if (CLUSTER_SCOPED.has(construct.kind)) {
      if (construct.metadata.namespace !== undefined) construct.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    } else if (construct.metadata.namespace !== namespace) {
      construct.addJsonPatch(JsonPatch.add('/metadata/namespace', namespace));
    }
  }
}
