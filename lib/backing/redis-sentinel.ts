import { createHash } from 'crypto';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { SettingError, requireInteger } from '../common/errors';
import { componentLabels, labelAll, ReleaseIdentity, selectorLabels } from '../common/meta';
import { ResourceSettings, toContainerResources } from '../common/resources';
import {
  containerSecurity, ImageSettings, imageReference, patchPodSpec, PlacementSettings, podSecurity,
  pullPolicy, RunAs, selectByLabels, spreadFor,
} from '../common/workload';
import { CoordinationEndpoint } from '../config/endpoints';
import { DisruptionBudget } from '../policy/disruption-budget';
import { memberHost } from './members';
import { checkQuorumMembers, majority } from './quorum';
import { REDIS_PORTS, renderRedisBootstrap, renderRedisConf, renderSentinelConf } from './redis-conf';

/** The pinned official image; its `redis` user is UID/GID 999. */
export const REDIS_IMAGE: ImageSettings = { repository: 'redis', tag: '7.0.15' };

/** Props of {@link RedisSentinel}. */
export interface RedisSentinelProps {
  /** Namespace and instance of the deployment. */
  readonly identity: ReleaseIdentity;
  /** Setting path used in error messages. @default 'datastores.coordination.inCluster' */
  readonly setting?: string;
  /** Members (pods), each running one Redis and one Sentinel; odd and >= 3. @default 3 */
  readonly members?: number;
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
  /** Image fields to override (same image for Redis, Sentinel and the bootstrap). @default redis:7.0.15 */
  readonly image?: Partial<ImageSettings>;
  /** UID/GID the containers run as. @default 999/999, the image's `redis` user */
  readonly runAs?: RunAs;
  /** Resources of the Redis container; half the memory limit becomes `maxmemory`. @default 50m / 64Mi, limit 256Mi */
  readonly resources?: ResourceSettings;
  /** Resources of the Sentinel container. @default 20m / 32Mi, limit 64Mi */
  readonly sentinelResources?: ResourceSettings;
  /** Spreading of the members across nodes and zones. @default preferred node spread */
  readonly placement?: PlacementSettings;
}

const CONFIG_DIR = '/config';
const LIVE_DIR = '/live';
const DATA_DIR = '/data';
const NAME = 'redis';

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
    const setting = props.setting ?? 'datastores.coordination.inCluster';
    const members = props.members ?? 3;
    checkQuorumMembers(`${setting}.replicas`, members);
    const quorum = props.quorum ?? majority(members);
    if (quorum !== majority(members)) {
      throw new SettingError(`${setting}.quorum`, `${quorum} of ${members} sentinels`,
        `use the majority, ${majority(members)}: fewer lets a partitioned minority fail over, more blocks failover when one member is down`);
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
      throw new SettingError(`${setting}.failoverTimeoutMilliseconds`,
        `${failoverTimeoutMilliseconds} is below downAfterMilliseconds ${downAfterMilliseconds}`,
        'give a failover at least as long as it takes to notice the master is down');
    }
    const image: ImageSettings = { ...REDIS_IMAGE, ...props.image };
    const imageRef = imageReference(image, `${setting}.image`);
    const runAs = props.runAs ?? { user: 999, group: 999 };
    const resourceSettings = props.resources ?? { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '256Mi' };
    const redisResources = toContainerResources(resourceSettings, `${setting}.resources`);
    const sentinelResources = toContainerResources(props.sentinelResources ?? { cpuRequest: '20m', memoryRequest: '32Mi', memoryLimit: '64Mi' }, `${setting}.sentinelResources`);

    const namespace = props.identity.namespace;
    const hosts = Array.from({ length: members }, (_, ordinal) => memberHost(NAME, ordinal, namespace));
    const files: Record<string, string> = {};
    // Replication must finish within the limit; half of it leaves room for buffers and forks.
    const maxMemoryMiB = Math.max(16, Math.floor(redisResources.memory!.limit!.toMebibytes() / 2));
    hosts.forEach((self, ordinal) => {
      files[`redis-${ordinal}.conf`] = renderRedisConf({ self, replicaOf: ordinal === 0 ? undefined : hosts[0], maxMemoryMiB });
      files[`sentinel-${ordinal}.conf`] = renderSentinelConf({
        self, masterName, master: hosts[0], quorum, downAfterMilliseconds, failoverTimeoutMilliseconds,
      });
    });
    files['bootstrap.sh'] = renderRedisBootstrap({ members: hosts, masterName, quorum });
    this.files = files;

    const selector = selectorLabels(props.identity, NAME);
    const labels = componentLabels(props.identity, NAME, 'coordination', image.tag);
    this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { name: `${NAME}-config` }, data: files });

    this.headlessService = new kplus.Service(this, 'Headless', {
      metadata: { name: `${NAME}-headless` },
      clusterIP: 'None',
      selector: kplus.Pods.select(this, 'Pods', { labels: selector }),
      ports: [
        { name: 'redis', port: REDIS_PORTS.redis, targetPort: REDIS_PORTS.redis },
        { name: 'sentinel', port: REDIS_PORTS.sentinel, targetPort: REDIS_PORTS.sentinel },
      ],
    });
    // Members must find each other (and the bootstrap must reach the sentinels) before
    // they are ready: readiness comes only after replication is set up.
    ApiObject.of(this.headlessService).addJsonPatch(JsonPatch.add('/spec/publishNotReadyAddresses', true));
    // The StatefulSet adds cdk8s-plus's hashed address label to its Service's selector; the
    // pods do not carry it (patchPodSpec removes it), so it would select nothing.
    ApiObject.of(this.headlessService).addJsonPatch(JsonPatch.remove('/spec/selector/cdk8s.io~1metadata.addr'));

    this.statefulSet = new kplus.StatefulSet(this, 'StatefulSet', {
      metadata: { name: NAME },
      replicas: members,
      service: this.headlessService,
      // All members start together: none waits for another to become ready.
      podManagementPolicy: kplus.PodManagementPolicy.PARALLEL,
      select: false,
      spread: false,
      automountServiceAccountToken: false,
      securityContext: podSecurity(runAs),
      terminationGracePeriod: Duration.seconds(30),
      podMetadata: { annotations: { 'checksum/config': hashFiles(files) } },
    });
    selectByLabels(this.statefulSet, selector, labels);

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

    const redis = this.statefulSet.addContainer({
      name: 'redis',
      image: imageRef,
      imagePullPolicy: pullPolicy(image),
      command: ['redis-server', `${LIVE_DIR}/redis.conf`],
      // Replicas write the master's snapshot here while they load it.
      workingDir: DATA_DIR,
      ports: [{ name: 'redis', number: REDIS_PORTS.redis }],
      resources: redisResources,
      securityContext: containerSecurity(runAs),
      readiness: pingProbe(REDIS_PORTS.redis, 5, 3),
      // Liveness asks less than readiness: a busy Redis that still accepts connections is
      // slow, not dead, and restarting it would force a full resync.
      liveness: kplus.Probe.fromTcpSocket({ port: REDIS_PORTS.redis, periodSeconds: Duration.seconds(10), failureThreshold: 6, timeoutSeconds: Duration.seconds(3) }),
    });
    redis.mount(LIVE_DIR, live, { readOnly: true });
    redis.mount(DATA_DIR, data);

    const sentinel = this.statefulSet.addContainer({
      name: 'sentinel',
      image: imageRef,
      imagePullPolicy: pullPolicy(image),
      command: ['redis-server', `${LIVE_DIR}/sentinel.conf`, '--sentinel'],
      workingDir: LIVE_DIR,
      ports: [{ name: 'sentinel', number: REDIS_PORTS.sentinel }],
      resources: sentinelResources,
      securityContext: containerSecurity(runAs),
      readiness: pingProbe(REDIS_PORTS.sentinel, 5, 3),
      liveness: kplus.Probe.fromTcpSocket({ port: REDIS_PORTS.sentinel, periodSeconds: Duration.seconds(10), failureThreshold: 6, timeoutSeconds: Duration.seconds(3) }),
    });
    // Sentinel rewrites its configuration file (and a temporary file beside it).
    sentinel.mount(LIVE_DIR, live);

    patchPodSpec(this.statefulSet, { selector, spread: spreadFor(members, props.placement) });
    new DisruptionBudget(this, 'DisruptionBudget', { name: NAME, selector, replicas: members, maxUnavailable: 1 });
    labelAll(this, labels);

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

function hashFiles(files: Readonly<Record<string, string>>): string {
  const digest = createHash('sha256');
  for (const name of Object.keys(files).sort()) digest.update(`${name}\0${files[name]}\0`);
  return digest.digest('hex').slice(0, 16);
}
