import { contentHash } from '../common/hash';
import { serverAccountOf } from '../images/image-model';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { SettingError, requireInteger } from '../common/errors';
import { labelAll } from '../common/meta';
import { ResourceSettings, toContainerResources } from '../common/resources';
import { containerSecurity, ImageSettings, pullPolicy } from '../common/workload';
import { CoordinationEndpoint } from '../config/endpoints';
import { MemberSet, MemberSetSettings, resolveMemberSettings } from './member-set';
import { majority } from '../common/quorum';
import { REDIS_PORTS, renderRedisBootstrap, renderRedisConf, renderRedisPreStop, renderSentinelConf } from './redis-conf';
import { ComponentProfile, declareProfile } from '../common/component-profile';

/** The pinned official image; its `redis` user is UID/GID 999. */
export const REDIS_IMAGE: ImageSettings = { repository: 'redis', tag: '7.0.15' };

/**
 * Props of {@link RedisSentinel}. Defaults of the shared fields: setting
 * 'datastores.coordination.inCluster', 3 members (each running one Redis and one Sentinel),
 * redis:7.0.15 (for Redis, Sentinel and the bootstrap) run as 999/999 (the image's `redis`
 * user); `resources` are the Redis container's, 50m / 64Mi with a 256Mi limit, of which
 * half becomes `maxmemory`.
 */
export interface RedisSentinelProps extends MemberSetSettings {
  /** Sentinels that must agree before a failover; must be the majority of the members. @default majority (2 of 3) */
  readonly quorum?: number;
  /** Name of the monitored master, tooz's `sentinel=` URL parameter. @default 'st2' */
  readonly masterName?: string;
  /**
   * Milliseconds without a reply before a sentinel deems the master down. Lower fails over
   * sooner but risks failovers on a slow node; tooz's lock heartbeats tolerate a few seconds.
   * @default 5000
   */
  readonly downAfterMilliseconds?: number;
  /** Milliseconds a failover may take before another sentinel may retry it. @default 15000 */
  readonly failoverTimeoutMilliseconds?: number;
  /** Resources of the Sentinel container. @default 20m / 32Mi, limit 64Mi */
  readonly sentinelResources?: ResourceSettings;
}

const CONFIG_DIR = '/config';
const LIVE_DIR = '/live';
const DATA_DIR = '/data';
const NAME = 'redis';

export const REDIS_SENTINEL_PROFILE: ComponentProfile = { name: 'redis', syncStage: 'datastores' };

/**
 * Redis with Sentinel as st2's tooz coordination backend: StatefulSet `redis` (a Redis and
 * a Sentinel container per pod), headless Service `redis-headless`, ConfigMap
 * `redis-config`, PodDisruptionBudget `redis`. Member 0 starts as master; afterwards the
 * sentinels decide, and a restarted pod asks them (see {@link renderRedisBootstrap}).
 * Everyone, peers and tooz alike, addresses members by their stable DNS names.
 */
export class RedisSentinel extends Construct {
  public readonly statefulSet: kplus.StatefulSet;
  public readonly headlessService: kplus.Service;
  public readonly configMap: kplus.ConfigMap;
  /** tooz URL and hosts for st2's `[coordination]`. */
  public readonly endpoint: CoordinationEndpoint;
  /** Every file of the ConfigMap, by key. */
  public readonly files: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: RedisSentinelProps) {
    super(scope, id);
    declareProfile(this, REDIS_SENTINEL_PROFILE);
    const {
      setting,
      members,
      image,
      imageRef,
      runAs,
      resources: redisResources,
    } = resolveMemberSettings(props, {
      setting: 'datastores.coordination.inCluster',
      quorum: 'a Sentinel quorum',
      image: REDIS_IMAGE,
      runAs: serverAccountOf('redis'),
      resources: { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '256Mi' },
    });
    const quorum = props.quorum ?? majority(members);
    if (quorum !== majority(members)) {
      throw new SettingError(
        `${setting}.quorum`,
        `${quorum} of ${members} sentinels`,
        `use the majority, ${majority(members)}: fewer lets a partitioned minority fail over, more blocks failover when one member is down`,
      );
    }
    const masterName = props.masterName ?? 'st2';
    if (!/^[A-Za-z0-9_-]+$/.test(masterName)) {
      throw new SettingError(`${setting}.masterName`, `${JSON.stringify(masterName)} is not a plain name`, 'use letters, digits, _ and -');
    }
    const downAfterMilliseconds = props.downAfterMilliseconds ?? 5000;
    const failoverTimeoutMilliseconds = props.failoverTimeoutMilliseconds ?? 15000;
    requireInteger(downAfterMilliseconds, `${setting}.downAfterMilliseconds`, 1000, 600000);
    requireInteger(failoverTimeoutMilliseconds, `${setting}.failoverTimeoutMilliseconds`, 1000, 3600000);
    if (failoverTimeoutMilliseconds < downAfterMilliseconds) {
      throw new SettingError(
        `${setting}.failoverTimeoutMilliseconds`,
        `${failoverTimeoutMilliseconds} is below downAfterMilliseconds ${downAfterMilliseconds}`,
        'give a failover at least as long as it takes to notice the master is down',
      );
    }
    const sentinelResources = toContainerResources(
      props.sentinelResources ?? { cpuRequest: '20m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
      `${setting}.sentinelResources`,
    );

    // A restarted pod named master waits out down-after and the failover before giving up:
    // twice the failover timeout, because Sentinel retries a failover of the same master only
    // after 2 x failover-timeout (a handover just before, say). A stopping master waits out the
    // failover; the grace period covers that handover.
    const promotionWaitSeconds = Math.ceil((downAfterMilliseconds + 2 * failoverTimeoutMilliseconds) / 1000) + 10;
    const handoverSeconds = Math.ceil(failoverTimeoutMilliseconds / 1000) + 5;

    // Members must find each other (and the bootstrap must reach the sentinels) before they
    // are ready, readiness coming only after replication is set up; all start together.
    const set = new MemberSet(this, 'Members', {
      identity: props.identity,
      name: NAME,
      role: 'coordination',
      version: image.tag,
      members,
      runAs,
      placement: props.placement,
      terminationGracePeriodSeconds: Math.max(30, handoverSeconds + 10),
      ports: [
        { name: 'redis', port: REDIS_PORTS.redis },
        { name: 'sentinel', port: REDIS_PORTS.sentinel },
      ],
    });
    this.statefulSet = set.statefulSet;
    this.headlessService = set.headlessService;
    const hosts = set.hosts;

    const files: Record<string, string> = {};
    // Replication must finish within the limit; half of it leaves room for buffers and forks.
    const maxMemoryMiB = Math.max(16, Math.floor(redisResources.memory!.limit!.toMebibytes() / 2));
    hosts.forEach((self, ordinal) => {
      files[`redis-${ordinal}.conf`] = renderRedisConf({ self, replicaOf: ordinal === 0 ? undefined : hosts[0], maxMemoryMiB });
      files[`sentinel-${ordinal}.conf`] = renderSentinelConf({
        self,
        masterName,
        master: hosts[0],
        quorum,
        downAfterMilliseconds,
        failoverTimeoutMilliseconds,
      });
    });
    files['bootstrap.sh'] = renderRedisBootstrap({ members: hosts, masterName, quorum, promotionWaitSeconds });
    files['prestop.sh'] = renderRedisPreStop({ members: hosts, masterName, handoverSeconds });
    this.files = files;
    this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { name: `${NAME}-config` }, data: files });
    this.statefulSet.podMetadata.addAnnotation('checksum/config', contentHash(files));

    const config = kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config' });
    const live = kplus.Volume.fromEmptyDir(this, 'LiveVolume', 'live', { sizeLimit: Size.mebibytes(1) });
    const data = kplus.Volume.fromEmptyDir(this, 'DataVolume', 'data', { sizeLimit: Size.mebibytes(Math.max(64, maxMemoryMiB * 2)) });

    const bootstrap = this.statefulSet.addInitContainer({
      name: 'bootstrap',
      image: imageRef,
      imagePullPolicy: pullPolicy(image),
      command: ['sh', `${CONFIG_DIR}/bootstrap.sh`, CONFIG_DIR, LIVE_DIR],
      resources: toContainerResources({ cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '64Mi' }, `${setting}.bootstrap`),
      securityContext: containerSecurity(runAs),
    });
    bootstrap.mount(CONFIG_DIR, config, { readOnly: true });
    bootstrap.mount(LIVE_DIR, live);

    // Redis and Sentinel are the same server binary in two roles.
    const server = (
      name: 'redis' | 'sentinel',
      args: string[],
      workingDir: string,
      resources: kplus.ContainerResources,
      lifecycle?: kplus.ContainerLifecycle,
    ) =>
      this.statefulSet.addContainer({
        name,
        lifecycle,
        image: imageRef,
        imagePullPolicy: pullPolicy(image),
        command: ['redis-server', ...args],
        workingDir,
        ports: [{ name, number: REDIS_PORTS[name] }],
        resources,
        securityContext: containerSecurity(runAs),
        readiness: pingProbe(REDIS_PORTS[name], 5, 3),
        // Liveness asks less than readiness: a busy Redis that still accepts connections is
        // slow, not dead, and restarting it would force a full resync.
        liveness: kplus.Probe.fromTcpSocket({
          port: REDIS_PORTS[name],
          periodSeconds: Duration.seconds(10),
          failureThreshold: 6,
          timeoutSeconds: Duration.seconds(3),
        }),
      });
    // Replicas write the master's snapshot to the working directory while they load it.
    const redis = server('redis', [`${LIVE_DIR}/redis.conf`], DATA_DIR, redisResources, {
      preStop: kplus.Handler.fromCommand(['sh', `${CONFIG_DIR}/prestop.sh`, LIVE_DIR]),
    });
    redis.mount(LIVE_DIR, live, { readOnly: true });
    redis.mount(CONFIG_DIR, config, { readOnly: true });
    redis.mount(DATA_DIR, data);
    const sentinel = server('sentinel', [`${LIVE_DIR}/sentinel.conf`, '--sentinel'], LIVE_DIR, sentinelResources);
    // Sentinel rewrites its configuration file (and a temporary file beside it).
    sentinel.mount(LIVE_DIR, live);

    labelAll(this, set.labels);

    const [first, ...fallbacks] = hosts.map((host) => `${host}:${REDIS_PORTS.sentinel}`);
    this.endpoint = {
      backend: 'redis-sentinel',
      // tooz asks the first sentinel and falls back to the others for the master's address.
      url: `redis://${first}?sentinel=${masterName}${fallbacks.map((f) => `&sentinel_fallback=${f}`).join('')}`,
      hosts: hosts.flatMap((host) => [`${host}:${REDIS_PORTS.sentinel}`, `${host}:${REDIS_PORTS.redis}`]),
    };
  }
}

/** `redis-cli ping` must answer PONG (redis-cli exits 0 on error replies such as LOADING). */
function pingProbe(port: number, periodSeconds: number, failureThreshold: number): kplus.Probe {
  return kplus.Probe.fromCommand(['sh', '-c', `redis-cli -p ${port} ping | grep -q PONG`], {
    periodSeconds: Duration.seconds(periodSeconds),
    failureThreshold,
    timeoutSeconds: Duration.seconds(3),
  });
}
