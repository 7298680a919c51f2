import { createHash } from 'crypto';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { requireInteger } from '../common/errors';
import { componentLabels, labelAll, ReleaseIdentity, selectorLabels } from '../common/meta';
import { ResourceSettings, toContainerResources } from '../common/resources';
import {
  containerSecurity, ImageSettings, imageReference, patchPodSpec, PlacementSettings, podSecurity,
  pullPolicy, RunAs, selectByLabels, spreadFor,
} from '../common/workload';
import { CoordinationEndpoint } from '../config/endpoints';
import { DisruptionBudget } from '../policy/disruption-budget';
import { memberHost } from './members';
import { checkQuorumMembers } from './quorum';
import { renderZooCfg, serverId, ZOOKEEPER_PORTS } from './zoo-cfg';

/** The pinned official image; its `zookeeper` user is UID/GID 1000 and it reads /conf/zoo.cfg. */
export const ZOOKEEPER_IMAGE: ImageSettings = { repository: 'zookeeper', tag: '3.8.4' };

/** Props of {@link ZooKeeper}. */
export interface ZooKeeperProps {
  /** Namespace and instance of the deployment. */
  readonly identity: ReleaseIdentity;
  /** Setting path used in error messages. @default 'datastores.coordination.inCluster' */
  readonly setting?: string;
  /** Members of the ensemble; odd and >= 3 so that losing one keeps a majority. @default 3 */
  readonly members?: number;
  /** Image fields to override. @default zookeeper:3.8.4 */
  readonly image?: Partial<ImageSettings>;
  /** UID/GID the container runs as. @default 1000/1000, the image's `zookeeper` user */
  readonly runAs?: RunAs;
  /** Resources; half the memory limit becomes the JVM heap. @default 100m / 384Mi, limit 512Mi */
  readonly resources?: ResourceSettings;
  /** Spreading of the members across nodes and zones. @default preferred node spread */
  readonly placement?: PlacementSettings;
}

const NAME = 'zookeeper';
const DATA_DIR = '/data';

/**
 * A ZooKeeper ensemble as st2's tooz coordination backend: StatefulSet `zookeeper`,
 * headless Service `zookeeper-headless` (peer traffic), client Service `zookeeper`,
 * ConfigMap `zookeeper-config` (zoo.cfg) and PodDisruptionBudget `zookeeper`.
 *
 * tooz reaches ZooKeeper through the kazoo Python package, which the st2 images do not
 * ship: an image built FROM the st2 images with `pip install kazoo` in st2's virtualenv is
 * required before choosing this backend. Redis Sentinel needs only the `redis` package,
 * which the images include.
 *
 * Data lives in an emptyDir: tooz keeps only ephemeral nodes that clients re-create, and a
 * restarted member resyncs from the leader.
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
    const setting = props.setting ?? 'datastores.coordination.inCluster';
    const members = props.members ?? 3;
    checkQuorumMembers(`${setting}.replicas`, members);
    const image: ImageSettings = { ...ZOOKEEPER_IMAGE, ...props.image };
    const imageRef = imageReference(image, `${setting}.image`);
    const runAs = props.runAs ?? { user: 1000, group: 1000 };
    requireInteger(runAs.user, `${setting}.runAs.user`, 0);
    const resources = toContainerResources(props.resources ?? { cpuRequest: '100m', memoryRequest: '384Mi', memoryLimit: '512Mi' }, `${setting}.resources`);
    // The JVM's heap plus its own overhead must stay under the container limit.
    const heapMiB = Math.max(64, Math.floor(resources.memory!.limit!.toMebibytes() / 2));

    const hosts = Array.from({ length: members }, (_, ordinal) => memberHost(NAME, ordinal, props.identity.namespace));
    this.zooCfg = renderZooCfg({ members: hosts, dataDir: DATA_DIR });
    const selector = selectorLabels(props.identity, NAME);
    const labels = componentLabels(props.identity, NAME, 'coordination', image.tag);
    this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { name: `${NAME}-config` }, data: { 'zoo.cfg': this.zooCfg } });

    const { client, quorum, election } = ZOOKEEPER_PORTS;
    this.headlessService = new kplus.Service(this, 'Headless', {
      metadata: { name: `${NAME}-headless` },
      clusterIP: 'None',
      selector: kplus.Pods.select(this, 'Pods', { labels: selector }),
      ports: [
        { name: 'client', port: client, targetPort: client },
        { name: 'quorum', port: quorum, targetPort: quorum },
        { name: 'election', port: election, targetPort: election },
      ],
    });
    // Members must resolve each other to elect a leader, before any of them is ready.
    ApiObject.of(this.headlessService).addJsonPatch(JsonPatch.add('/spec/publishNotReadyAddresses', true));
    // The StatefulSet adds cdk8s-plus's hashed address label to its Service's selector; the
    // pods do not carry it (patchPodSpec removes it), so it would select nothing.
    ApiObject.of(this.headlessService).addJsonPatch(JsonPatch.remove('/spec/selector/cdk8s.io~1metadata.addr'));
    this.service = new kplus.Service(this, 'Client', {
      metadata: { name: NAME },
      type: kplus.ServiceType.CLUSTER_IP,
      selector: kplus.Pods.select(this, 'ClientPods', { labels: selector }),
      ports: [{ name: 'client', port: client, targetPort: client }],
    });

    this.statefulSet = new kplus.StatefulSet(this, 'StatefulSet', {
      metadata: { name: NAME },
      replicas: members,
      service: this.headlessService,
      // Readiness needs a quorum, so members waiting for each other in order would deadlock.
      podManagementPolicy: kplus.PodManagementPolicy.PARALLEL,
      select: false,
      spread: false,
      automountServiceAccountToken: false,
      securityContext: podSecurity(runAs),
      terminationGracePeriod: Duration.seconds(30),
      podMetadata: { annotations: { 'checksum/config': createHash('sha256').update(this.zooCfg).digest('hex').slice(0, 16) } },
    });
    selectByLabels(this.statefulSet, selector, labels);

    const zookeeper = this.statefulSet.addContainer({
      name: 'zookeeper',
      image: imageRef,
      imagePullPolicy: pullPolicy(image),
      // The pod name ends in its ordinal; myid must match that member's server.N line.
      command: ['sh', '-c', `echo $(( \${HOSTNAME##*-} + ${serverId(0)} )) > ${DATA_DIR}/myid && exec zkServer.sh start-foreground`],
      envVariables: { ZK_SERVER_HEAP: kplus.EnvValue.fromValue(String(heapMiB)) },
      ports: [
        { name: 'client', number: client },
        { name: 'quorum', number: quorum },
        { name: 'election', number: election },
      ],
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
    zookeeper.mount('/conf/zoo.cfg', kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config' }), { subPath: 'zoo.cfg', readOnly: true });
    zookeeper.mount(DATA_DIR, kplus.Volume.fromEmptyDir(this, 'DataVolume', 'data', { sizeLimit: Size.gibibytes(1) }));
    zookeeper.mount('/logs', kplus.Volume.fromEmptyDir(this, 'LogsVolume', 'logs', { sizeLimit: Size.mebibytes(64) }));
    // The JVM writes its perf data under /tmp.
    zookeeper.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: Size.mebibytes(64) }));

    patchPodSpec(this.statefulSet, { selector, spread: spreadFor(members, props.placement) });
    new DisruptionBudget(this, 'DisruptionBudget', { name: NAME, selector, replicas: members, maxUnavailable: 1 });
    labelAll(this, labels);

    const clientHosts = hosts.map((host) => `${host}:${client}`);
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
