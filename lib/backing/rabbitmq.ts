import { contentHash } from '../common/hash';
import { serverAccountOf } from '../images/image-model';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { k8s } from '../../imports/k8s';
import { check, SettingError } from '../common/errors';
import { labelAll, ReleaseIdentity, serviceHost } from '../common/meta';
import { ResourceSettings, toContainerResources } from '../common/resources';
import { containerSecurity, ImageSettings, imageReference, PlacementSettings, pullPolicy, RunAs } from '../common/workload';
import { RabbitMqSettings } from '../config/datastores';
import { RabbitMqEndpoint } from '../config/endpoints';
import { MemberSet } from './member-set';
import { memberHostPorts } from './members';
import {
  PASSWORD_ENV,
  RABBITMQ_PATHS,
  RABBITMQ_PORTS,
  RABBITMQ_SECRET_KEYS,
  rabbitMqDefinitions,
  renderDefinitionsScript,
  renderEnabledPlugins,
  renderRabbitMqConf,
} from './rabbitmq-conf';
import { ComponentProfile, declareProfile } from '../common/component-profile';
import { checkStorageSize } from '../common/validators';
import { checkQuorumMembers } from '../common/quorum';

/** StatefulSet, client Service, ServiceAccount, Role and PDB name. */
export const RABBITMQ_NAME = 'rabbitmq';
export const RABBITMQ_HEADLESS = `${RABBITMQ_NAME}-headless`;

/**
 * The pinned image: the official `rabbitmq` image, last 3.x line. RabbitMQ 4.0 removed
 * classic queue mirroring, and st2 declares classic queues only (no quorum queues), so
 * 3.13 is the newest release on which the guide's "mirror every queue" still works.
 */
export const RABBITMQ_IMAGE: ImageSettings = { repository: 'rabbitmq', tag: '3.13.7' };

/** The `rabbitmq` user of the official image (Dockerfile: uid and gid 999). */
export const RABBITMQ_RUN_AS: RunAs = serverAccountOf('rabbitmq');

const DEFAULT_RESOURCES: ResourceSettings = { cpuRequest: '250m', memoryRequest: '512Mi', memoryLimit: '1Gi' };

/** Props of {@link RabbitMq}. */
export interface RabbitMqProps {
  /** Namespace and instance the objects belong to. */
  readonly identity: ReleaseIdentity;
  /**
   * The user's RabbitMQ settings: `inCluster` (replicas, image, resources, storage),
   * `vhost`, `username`, `secretName`. @default 3 nodes of rabbitmq:3.13.7, vhost `/`,
   * user `st2`, Secret `st2-rabbitmq`
   */
  readonly settings?: RabbitMqSettings;
  /**
   * Where `settings` come from, as error messages name them: an app that builds the cluster
   * from its own configuration names its own key.
   * @default `datastores.rabbitmq`, the key in a StackStormHa values file
   */
  readonly setting?: string;
  /** Node and zone spreading of the members. @default preferred spread across nodes */
  readonly placement?: PlacementSettings;
  /**
   * Mirror every queue to every node (the guide). Turning it off is only for an image
   * of RabbitMQ 4.x, where mirroring no longer exists. @default true
   */
  readonly mirrorQueues?: boolean;
  /** Disk space below which publishers are blocked. @default '1GB' */
  readonly diskFreeLimit?: string;
}

export const RABBITMQ_PROFILE: ComponentProfile = { name: 'rabbitmq', syncStage: 'datastores' };

/**
 * A RabbitMQ cluster for st2 (the guide: "mirror all the Queues"): a StatefulSet whose
 * members discover each other through the Kubernetes API, a definitions file imported at
 * every boot (vhost, st2's user, permissions, the mirroring policy), the Erlang cookie and
 * st2's password taken from the user's Secret, and a disruption budget of one node.
 */
export class RabbitMq extends Construct {
  /** Where st2 and Mistral connect: every member by its stable DNS name. */
  public readonly endpoint: RabbitMqEndpoint;
  public readonly statefulSet: kplus.StatefulSet;
  public readonly configMap: kplus.ConfigMap;
  public readonly selector: Record<string, string>;
  /** The files in the ConfigMap, as rendered. */
  public readonly files: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: RabbitMqProps) {
    super(scope, id);
    declareProfile(this, RABBITMQ_PROFILE);
    const settings = props.settings ?? {};
    const inCluster = settings.inCluster ?? {};
    const setting = props.setting ?? 'datastores.rabbitmq';
    const namespace = props.identity.namespace;
    const mirrorQueues = props.mirrorQueues ?? true;

    // Every check runs before the first object is built.
    const replicas = inCluster.replicas ?? 3;
    // pause_minority: one side of a split must always be a majority.
    checkQuorumMembers(`${setting}.inCluster.replicas`, replicas, 'a pause_minority cluster');
    const image: ImageSettings = { ...RABBITMQ_IMAGE, ...inCluster.image };
    const reference = imageReference(image, `${setting}.inCluster.image`);
    const major = /^v?([0-9]+)(\.|$|-)/.exec(image.tag);
    if (!major) {
      throw new SettingError(
        `${setting}.inCluster.image.tag`,
        `cannot tell the RabbitMQ version from ${JSON.stringify(image.tag)}`,
        'use a tag that starts with the version, e.g. 3.13.7',
      );
    }
    if (mirrorQueues && Number(major[1]) >= 4) {
      throw new SettingError(
        `${setting}.inCluster.image.tag`,
        `${image.tag} is RabbitMQ ${major[1]}.x, which removed classic queue mirroring, and st2 declares classic queues that the guide mirrors`,
        `pin a 3.x image (default ${RABBITMQ_IMAGE.tag})`,
      );
    }
    const secretName = settings.secretName ?? 'st2-rabbitmq';
    check(secretName.length > 0, `${setting}.secretName`, 'no Secret name given', 'name the Secret holding the keys password and erlang-cookie');
    const username = settings.username ?? 'st2';
    check(username.length > 0, `${setting}.username`, 'empty user name', "name st2's RabbitMQ user, e.g. st2");
    const vhost = settings.vhost ?? '';
    const storageSize = inCluster.storageSize ?? '8Gi';
    checkStorageSize(storageSize, `${setting}.inCluster.storageSize`, '8Gi');
    const resourceSettings = inCluster.resources ?? DEFAULT_RESOURCES;
    const resources = toContainerResources(resourceSettings, `${setting}.inCluster.resources`);
    const memoryLimitBytes = resources.memory!.limit!.toKibibytes() * 1024;

    this.endpoint = {
      hosts: memberHostPorts(RABBITMQ_NAME, replicas, props.identity, RABBITMQ_PORTS.amqp),
      vhost,
      username,
      password: { name: secretName, key: RABBITMQ_SECRET_KEYS.password },
    };

    this.files = {
      'rabbitmq.conf': renderRabbitMqConf({
        namespace,
        clusterDomain: props.identity.clusterDomain,
        headlessService: RABBITMQ_HEADLESS,
        nodes: replicas,
        definitionsFile: RABBITMQ_PATHS.definitionsFile,
        memoryLimitBytes,
        diskFreeLimit: props.diskFreeLimit ?? '1GB',
      }),
      enabled_plugins: renderEnabledPlugins(),
      'definitions.template.json': JSON.stringify(rabbitMqDefinitions({ vhost, username, mirrorQueues }), null, 2) + '\n',
      'render-definitions.sh': renderDefinitionsScript(),
    };
    this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { name: `${RABBITMQ_NAME}-config` }, data: { ...this.files } });

    // Peer discovery asks the API server for the headless Service's endpoints: a named GET,
    // nothing else (no list, no watch, no other Service). The plugin can also post Events
    // about discovery problems; without that right it logs them instead.
    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: RABBITMQ_NAME },
      automountServiceAccountToken: true,
    });
    new k8s.KubeRole(this, 'Role', {
      metadata: { name: RABBITMQ_NAME },
      rules: [
        { apiGroups: [''], resources: ['endpoints'], resourceNames: [RABBITMQ_HEADLESS], verbs: ['get'] },
        // Peer discovery records cluster formation as Kubernetes events; without this it
        // logs a 403 on every start.
        { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name: RABBITMQ_NAME },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: RABBITMQ_NAME },
      subjects: [{ kind: 'ServiceAccount', name: RABBITMQ_NAME, namespace }],
    });

    // Members must resolve and discover each other while booting, i.e. before they are
    // ready. Parallel start: after a full stop each node waits (minutes) for the peer that
    // stopped last before it serves; with OrderedReady, pod 0 would wait for pods that are
    // only created once pod 0 is ready. Peer discovery makes parallel boots safe.
    const set = new MemberSet(this, 'Members', {
      identity: props.identity,
      name: RABBITMQ_NAME,
      role: 'message-queue',
      version: image.tag,
      members: replicas,
      runAs: RABBITMQ_RUN_AS,
      placement: props.placement,
      ports: [
        { name: 'amqp', port: RABBITMQ_PORTS.amqp },
        { name: 'epmd', port: RABBITMQ_PORTS.epmd },
        { name: 'dist', port: RABBITMQ_PORTS.dist },
      ],
      clientPorts: [{ name: 'amqp', port: RABBITMQ_PORTS.amqp }],
      // The only pod of the deployment with an API token: peer discovery needs it.
      serviceAccountName: RABBITMQ_NAME,
      // A stopping node hands its queue masters to mirrors and flushes the message store.
      terminationGracePeriodSeconds: 120,
      podAnnotations: { 'checksum/config': contentHash(this.files) },
      volumeClaim: { size: storageSize, storageClassName: inCluster.storageClassName, mountPath: RABBITMQ_PATHS.dataDir },
      // One node at a time: with 3 nodes the other two keep a majority (pause_minority) and
      // a full mirror of every queue.
      maxUnavailable: 1,
    });
    this.statefulSet = set.statefulSet;
    this.selector = set.selector;

    const config = kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config' });
    const secret = kplus.Volume.fromSecret(this, 'SecretVolume', kplus.Secret.fromSecretName(this, 'Secret', secretName), {
      name: 'secret',
      defaultMode: 0o400,
      items: { [RABBITMQ_SECRET_KEYS.erlangCookie]: { path: RABBITMQ_SECRET_KEYS.erlangCookie } },
    });
    const home = kplus.Volume.fromEmptyDir(this, 'HomeVolume', 'home', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) });
    const definitions = kplus.Volume.fromEmptyDir(this, 'DefinitionsVolume', 'definitions', {
      medium: kplus.EmptyDirMedium.MEMORY,
      sizeLimit: Size.mebibytes(1),
    });
    const tmp = kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: Size.mebibytes(64) });
    const logs = kplus.Volume.fromEmptyDir(this, 'LogVolume', 'logs', { sizeLimit: Size.mebibytes(256) });

    const cookieFile = `${RABBITMQ_PATHS.home}/.erlang.cookie`;
    const prepare = this.statefulSet.addInitContainer({
      name: 'prepare',
      image: reference,
      imagePullPolicy: pullPolicy(image),
      // Erlang refuses a cookie file that others can read, and Secret volumes are symlinks
      // with group bits from fsGroup: copy it to a private 0400 file instead.
      command: [
        'sh',
        '-c',
        [
          'set -eu',
          `rm -f ${cookieFile}`,
          `cp ${RABBITMQ_PATHS.secretDir}/${RABBITMQ_SECRET_KEYS.erlangCookie} ${cookieFile}`,
          `chmod 400 ${cookieFile}`,
          `sh ${RABBITMQ_PATHS.renderScript} ${RABBITMQ_PATHS.definitionsTemplate} ${RABBITMQ_PATHS.definitionsFile}`,
        ].join('\n'),
      ],
      envVariables: {
        [PASSWORD_ENV]: kplus.EnvValue.fromSecretValue({
          secret: kplus.Secret.fromSecretName(this, 'PasswordSecret', secretName),
          key: RABBITMQ_SECRET_KEYS.password,
        }),
      },
      resources: toContainerResources({ cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '64Mi' }, `${setting}.prepare`),
      securityContext: containerSecurity(RABBITMQ_RUN_AS),
    });
    prepare.mount(RABBITMQ_PATHS.configDir, config, { readOnly: true });
    prepare.mount(RABBITMQ_PATHS.secretDir, secret, { readOnly: true });
    prepare.mount(RABBITMQ_PATHS.home, home);
    prepare.mount(RABBITMQ_PATHS.definitionsDir, definitions);
    prepare.mount('/tmp', tmp);

    const container = this.statefulSet.addContainer({
      name: RABBITMQ_NAME,
      image: reference,
      imagePullPolicy: pullPolicy(image),
      // Run the server directly: the image's entrypoint would try to chown and write config.
      command: ['rabbitmq-server'],
      envVariables: {
        POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
        // The name peer discovery derives from the endpoints' hostnames plus the suffix.
        RABBITMQ_NODENAME: kplus.EnvValue.fromValue(`rabbit@$(POD_NAME).${serviceHost(props.identity, RABBITMQ_HEADLESS)}`),
        RABBITMQ_USE_LONGNAME: kplus.EnvValue.fromValue('true'),
        HOME: kplus.EnvValue.fromValue(RABBITMQ_PATHS.home),
        RABBITMQ_CONFIG_FILE: kplus.EnvValue.fromValue(RABBITMQ_PATHS.configFile),
        RABBITMQ_ENABLED_PLUGINS_FILE: kplus.EnvValue.fromValue(RABBITMQ_PATHS.enabledPlugins),
        RABBITMQ_MNESIA_BASE: kplus.EnvValue.fromValue(RABBITMQ_PATHS.mnesiaBase),
        RABBITMQ_LOG_BASE: kplus.EnvValue.fromValue(RABBITMQ_PATHS.logDir),
      },
      ports: [
        { name: 'amqp', number: RABBITMQ_PORTS.amqp },
        { name: 'epmd', number: RABBITMQ_PORTS.epmd },
        { name: 'dist', number: RABBITMQ_PORTS.dist },
      ],
      resources,
      securityContext: containerSecurity(RABBITMQ_RUN_AS),
      // Startup: the VM answers within seconds, but a restarted cluster may wait for its
      // peers' tables for minutes; liveness stays off for up to 10 minutes meanwhile.
      startup: diagnosticsProbe('ping', 10, 10, 60),
      // Readiness: the AMQP listener accepts connections (a paused minority node does not).
      readiness: diagnosticsProbe('check_port_connectivity', 15, 15, 3),
      // Liveness: only "the Erlang VM answers at all"; slow, so a busy node is not killed.
      liveness: diagnosticsProbe('ping', 30, 20, 3),
    });
    container.mount(RABBITMQ_PATHS.configDir, config, { readOnly: true });
    container.mount(RABBITMQ_PATHS.home, home);
    container.mount(RABBITMQ_PATHS.definitionsDir, definitions, { readOnly: true });
    container.mount('/tmp', tmp);
    container.mount(RABBITMQ_PATHS.logDir, logs);

    this.node.addMetadata('members', set.hosts);
    labelAll(this, set.labels);
  }
}

/** An exec probe running a `rabbitmq-diagnostics` check quietly. */
function diagnosticsProbe(check: string, periodSeconds: number, timeoutSeconds: number, failureThreshold: number): kplus.Probe {
  return kplus.Probe.fromCommand(['rabbitmq-diagnostics', '-q', check], {
    periodSeconds: Duration.seconds(periodSeconds),
    timeoutSeconds: Duration.seconds(timeoutSeconds),
    failureThreshold,
  });
}
