import { serverAccountOf } from '../images/image-model';
import { createHash } from 'crypto';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { labelAll } from '../common/meta';
import { containerSecurity, ImageSettings, pullPolicy } from '../common/workload';
import { CoordinationEndpoint } from '../config/endpoints';
import { MemberSet, MemberSetSettings, resolveMemberSettings } from './member-set';
import { renderZooCfg, serverId, ZOOKEEPER_PORTS } from './zoo-cfg';
import { ComponentProfile, declareProfile } from '../common/component-profile';
import { checkStorageSize } from '../common/validators';

/** The pinned official image; its `zookeeper` user is UID/GID 1000 and it reads /conf/zoo.cfg. */
export const ZOOKEEPER_IMAGE: ImageSettings = { repository: 'zookeeper', tag: '3.8.4' };

/**
 * Props of {@link ZooKeeper}. Defaults: setting 'datastores.coordination.inCluster', 3
 * members, zookeeper:3.8.4 run as 1000/1000 (the image's `zookeeper` user), 100m / 384Mi
 * with a 512Mi limit, of which half becomes the JVM heap.
 */
export interface ZooKeeperProps extends MemberSetSettings {
  /** Size of each member's data claim. @default '2Gi' */
  readonly storageSize?: string;
  /** StorageClass of the claims. @default the cluster's default class */
  readonly storageClassName?: string;
}

const NAME = 'zookeeper';
const DATA_DIR = '/data';

export const ZOOKEEPER_PROFILE: ComponentProfile = { name: 'zookeeper', syncStage: 'datastores' };

/**
 * A ZooKeeper ensemble as st2's tooz coordination backend: StatefulSet `zookeeper`,
 * headless Service `zookeeper-headless` (peer traffic), client Service `zookeeper`,
 * ConfigMap `zookeeper-config` (zoo.cfg) and PodDisruptionBudget `zookeeper`.
 *
 * tooz reaches ZooKeeper through the kazoo Python package, which st2 3.9 installs in its
 * virtualenv (its requirements pull kazoo in through zake; `scripts/check-images.sh`
 * confirms it at the pinned images).
 *
 * Each member keeps its snapshots, transaction log and `myid` on a claim of its own: with an
 * emptyDir, a member rescheduled while another is down would rejoin empty, and two such
 * members form a majority that has forgotten the ensemble's state.
 */
export class ZooKeeper extends Construct {
  public readonly statefulSet: kplus.StatefulSet;
  public readonly headlessService: kplus.Service;
  public readonly service: kplus.Service;
  public readonly configMap: kplus.ConfigMap;
  /** The rendered zoo.cfg. */
  public readonly zooCfg: string;
  /** tooz URL (`kazoo://...`) and hosts for st2's `[coordination]`. */
  public readonly endpoint: CoordinationEndpoint;

  constructor(scope: Construct, id: string, props: ZooKeeperProps) {
    super(scope, id);
    declareProfile(this, ZOOKEEPER_PROFILE);
    const { setting, members, image, imageRef, runAs, resources } = resolveMemberSettings(props, {
      setting: 'datastores.coordination.inCluster',
      quorum: 'a ZooKeeper ensemble',
      image: ZOOKEEPER_IMAGE,
      runAs: serverAccountOf('zookeeper'),
      resources: { cpuRequest: '100m', memoryRequest: '384Mi', memoryLimit: '512Mi' },
    });
    // The JVM's heap plus its own overhead must stay under the container limit.
    const storageSize = props.storageSize ?? '2Gi';
    checkStorageSize(storageSize, `${setting}.storageSize`, '2Gi');
    const heapMiB = Math.max(64, Math.floor(resources.memory!.limit!.toMebibytes() / 2));

    const { client, quorum, election } = ZOOKEEPER_PORTS;
    const ports = [
      { name: 'client', port: client },
      { name: 'quorum', port: quorum },
      { name: 'election', port: election },
    ];
    // Parallel start: readiness needs a quorum, so members waiting for each other in order would deadlock.
    const set = new MemberSet(this, 'Members', {
      identity: props.identity,
      name: NAME,
      role: 'coordination',
      version: image.tag,
      members,
      runAs,
      placement: props.placement,
      ports,
      clientPorts: [ports[0]],
      volumeClaim: { size: storageSize, storageClassName: props.storageClassName, mountPath: DATA_DIR },
    });
    this.statefulSet = set.statefulSet;
    this.headlessService = set.headlessService;
    this.service = set.service!;

    this.zooCfg = renderZooCfg({ members: set.hosts, dataDir: DATA_DIR });
    this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { name: `${NAME}-config` }, data: { 'zoo.cfg': this.zooCfg } });
    this.statefulSet.podMetadata.addAnnotation('checksum/config', createHash('sha256').update(this.zooCfg).digest('hex').slice(0, 16));

    const zookeeper = this.statefulSet.addContainer({
      name: 'zookeeper',
      image: imageRef,
      imagePullPolicy: pullPolicy(image),
      // The pod name ends in its ordinal; myid must match that member's server.N line.
      command: ['sh', '-c', `echo $(( \${HOSTNAME##*-} + ${serverId(0)} )) > ${DATA_DIR}/myid && exec zkServer.sh start-foreground`],
      envVariables: { ZK_SERVER_HEAP: kplus.EnvValue.fromValue(String(heapMiB)) },
      ports: ports.map(({ name, port }) => ({ name, number: port })),
      resources,
      securityContext: containerSecurity(runAs),
      // Ready only while in the quorum: srvr reports a Mode only then.
      readiness: fourLetterProbe('srvr', '^Mode: ', 10, 3),
      // Alive as long as the process answers at all, quorum or not: restarting a member
      // that waits for its peers would not bring them back.
      liveness: fourLetterProbe('ruok', 'imok', 15, 4),
      startup: fourLetterProbe('ruok', 'imok', 5, 24),
    });
    // Only zoo.cfg is replaced; the image's logback.xml beside it stays in use.
    zookeeper.mount('/conf/zoo.cfg', kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config' }), {
      subPath: 'zoo.cfg',
      readOnly: true,
    });
    zookeeper.mount('/logs', kplus.Volume.fromEmptyDir(this, 'LogsVolume', 'logs', { sizeLimit: Size.mebibytes(64) }));
    // The JVM writes its perf data under /tmp.
    zookeeper.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: Size.mebibytes(64) }));
    labelAll(this, set.labels);

    const clientHosts = set.hostPorts(client);
    this.endpoint = {
      backend: 'zookeeper',
      url: `kazoo://${clientHosts.join(',')}`,
      hosts: clientHosts,
    };
  }
}
/** Sends a four-letter word over bash's /dev/tcp (no client tool needed) and greps the reply. */
function fourLetterProbe(word: string, expect: string, periodSeconds: number, failureThreshold: number): kplus.Probe {
  return kplus.Probe.fromCommand(['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${ZOOKEEPER_PORTS.client} && printf ${word} >&3 && grep -q '${expect}' <&3`], {
    periodSeconds: Duration.seconds(periodSeconds),
    failureThreshold,
    timeoutSeconds: Duration.seconds(5),
  });
}
