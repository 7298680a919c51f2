import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { IniDocument, renderIni } from '../common/ini';
import { check, requireInteger } from '../common/errors';
import { checkReplicas, HaMode } from '../config/ha-mode';
import { ComponentRole, componentLabels, labelAll, ReleaseIdentity, selectorLabels } from '../common/meta';
import { ResourceSettings, toContainerResources } from '../common/resources';
import {
  containerSecurity,
  ImageSettings,
  imageReference,
  labelledDeployment,
  checkPlacement,
  mergePlacement,
  patchPodSpec,
  PlacementSettings,
  podSecurity,
  pullPolicy,
  RunAs,
  selectByLabels,
  spreadFor,
} from '../common/workload';
import { SecretKeyRef } from '../config/endpoints';
import { DisruptionBudget } from '../common/disruption-budget';
import { contentHash } from '../common/hash';
import { St2Config } from './st2-config';
import { SECRET_ENV } from '../common/prepare-script';
import { ST2_PATHS } from './st2-conf';
import { St2Content } from './content';
import { httpService } from '../common/service';

/** Names of the Secrets the user creates for StackStorm itself (see README, "Secrets"). */
export interface St2SecretNames {
  /** Secret with key `datastore_key.json`: the key-value store crypto key. */
  readonly datastoreKey: string;
  /** Secret with key `htpasswd`: users for st2auth's flat_file backend. */
  readonly htpasswd: string;
  /** Secret with key `private_key`: the ssh key of the system user actions run as. */
  readonly sshKey: string;
  /** Secret with keys `username` and `password`: an st2 admin for chatops and the jobs. */
  readonly adminCredentials: string;
}

/** What every st2 process shares, built once by StackStormHa and handed to each. */
export interface St2Runtime {
  readonly identity: ReleaseIdentity;
  /** The shared ConfigMap (st2.conf, secrets template, prepare script). */
  readonly config: St2Config;
  /** Packs, virtualenvs and pack configs. */
  readonly content: St2Content;
  readonly secrets: St2SecretNames;
  readonly mongoPassword: SecretKeyRef;
  readonly rabbitPassword: SecretKeyRef;
  /** `host:port` lists, one per datastore, waited for before a process starts. */
  readonly waitFor: readonly (readonly string[])[];
  /** UID/GID of the images' `st2` user. */
  readonly st2User: RunAs;
  readonly placement?: PlacementSettings;
  /** The release the st2 images come from. */
  readonly release: St2Release;
}

/** The resolved StackStorm release. */
export interface St2Release {
  /** Image tag and `app.kubernetes.io/version`, e.g. `3.9.0`. */
  readonly version: string;
  /** Digest every st2 image is pinned to. @default none */
  readonly digest?: string;
  /** Registry prefix of the st2 images. */
  readonly registry?: string;
  /** Pull policy of every image. */
  readonly pullPolicy?: 'IfNotPresent' | 'Always' | 'Never';
  /** CPU architectures the st2 images exist for; st2 pods are scheduled only there. */
  readonly architectures: readonly string[];
}

/** Which of the shared files a process mounts. */
export interface St2Mounts {
  /** The key-value crypto key. */
  readonly datastoreKey?: boolean;
  /** st2auth's htpasswd file. */
  readonly htpasswd?: boolean;
  /**
   * The system user's ssh key, installed by a root init step into /home/stanley/.ssh owned
   * by stanley (directory 0500, key 0400), where actions run as stanley can read it. Only
   * for pods that run as root.
   */
  readonly sshKey?: boolean;
  /** Packs, virtualenvs and pack configs. */
  readonly content?: boolean;
}

/** Probe timings for one st2 process. */
export interface St2Probes {
  /** Checked by Services and rollouts. @default none */
  readonly readiness?: kplus.Probe;
  /** Restarts a wedged process. @default none */
  readonly liveness?: kplus.Probe;
  /** Holds liveness off while a slow process starts. @default none */
  readonly startup?: kplus.Probe;
}

/** Props of {@link St2Process}. */
export interface St2ProcessProps {
  readonly runtime: St2Runtime;
  /** This process's own placement, over the global one (`runtime.placement`) key by key. @default the global placement */
  readonly placement?: PlacementSettings;
  /** Kubernetes name of the Deployment (and Service, PDB, ConfigMap). */
  readonly name: string;
  /** Executable under /opt/stackstorm/st2/bin. */
  readonly executable: string;
  /** `app.kubernetes.io/component`. */
  readonly role: ComponentRole;
  /** Desired replicas (>= 1). */
  readonly replicas: number;
  /** How the process may be replicated (the guide's HA mode). */
  readonly haMode: HaMode;
  /** More than one replica needs a coordination backend. @default false */
  readonly needsCoordination?: boolean;
  /**
   * A HorizontalPodAutoscaler owns the replica count (then `replicas` is its maximum and
   * spec.replicas is left out, so a GitOps sync never fights the autoscaler). @default false
   */
  readonly autoscaled?: boolean;
  /** Setting path used in error messages, e.g. `st2.api`. */
  readonly setting: string;
  readonly image: ImageSettings;
  readonly resources: ResourceSettings;
  /** TCP port the process serves; a ClusterIP Service is created for it. @default no Service */
  readonly port?: number;
  readonly probes?: St2Probes;
  /** st2.conf settings for this process only, layered after the shared file. @default none */
  readonly overrides?: IniDocument;
  /** Arguments after the `--config-file` flags. @default none */
  readonly extraArgs?: readonly string[];
  /**
   * Run a StatefulSet of this many pods, one partition each, instead of a Deployment: a pod
   * derives its share from its ordinal (prepare.py reads its name from ST2_POD_NAME), and a
   * StatefulSet never runs two pods of one ordinal at once, so no share ever runs twice.
   * `replicas` is then the pods per partition, which the `partitioned` mode keeps at 1.
   * @default none: a Deployment of `replicas` pods
   */
  readonly ordinalPartitions?: number;
  /**
   * One of several workloads of the same process (named sensor partitions): the pods share
   * `app.kubernetes.io/name: <app>` (one NetworkPolicy and one report identity for all) and
   * each workload selects its own by `stackstorm.io/partition: <partition>`. Its overrides
   * file is the key `<name>.conf` of `overridesMap`, which the caller builds for all of them
   * with {@link renderOverrides}.
   * @default a process of its own: `app.kubernetes.io/name: <name>` and its own ConfigMap
   */
  readonly sharedBy?: { readonly app: string; readonly partition: string; readonly overridesMap: kplus.ConfigMap };
  /** Literal environment of the main container. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Literal environment of the `prepare` init container. @default none */
  readonly prepareEnv?: Readonly<Record<string, string>>;
  /** Environment of the `prepare` init container from Secret keys (for the secrets template). @default none */
  readonly prepareSecretEnv?: Readonly<Record<string, SecretKeyRef>>;
  /** The secrets template prepare fills, a file of the shared ConfigMap. @default 'st2.secrets.conf.template' */
  readonly secretsTemplate?: string;
  /** st2.conf layers prepare.py writes into the secrets folder, read after the overrides. @default none */
  readonly generatedConfigFiles?: readonly string[];
  readonly mounts?: St2Mounts;
  /** Seconds between SIGTERM and SIGKILL. @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /**
   * `Recreate` guarantees no two pods run at once: a rollout stops the old pod before the new
   * one starts. @default 'Recreate' for singleton and active-passive processes, else 'RollingUpdate'
   */
  readonly strategy?: 'RollingUpdate' | 'Recreate';
  /** Run as root (only images that need it: see docs/operations.md). @default false */
  readonly runAsRoot?: boolean;
  /**
   * Leave the main container's root filesystem writable (a documented security exception:
   * the process writes paths no volume can cover). @default false
   */
  readonly writableRootFilesystem?: boolean;
  /**
   * Seconds to keep serving after SIGTERM is scheduled, so the endpoint leaves every
   * Service before the process stops accepting connections. @default 0 (no preStop hook)
   */
  readonly preStopSleepSeconds?: number;
}

/**
 * One StackStorm Python process as a Deployment (or, partitioned by ordinal, a
 * StatefulSet): image, the layered `--config-file`s (image defaults, image docker logging,
 * our shared st2.conf, this process's overrides, files written at start), mounts, probes,
 * resources and placement.
 */
export class St2Process extends Construct {
  public readonly workload: kplus.Deployment | kplus.StatefulSet;
  /** Pods the workload runs (its replicas; the maximum when autoscaled). */
  public readonly pods: number;
  public readonly container: kplus.Container;
  public readonly service?: kplus.Service;
  public readonly selector: Record<string, string>;
  public readonly labels: Record<string, string>;
  /** Every st2.conf layer this process reads, in order. */
  public readonly configFiles: readonly string[];
  /** This process's overrides file, when it has one. */
  public readonly overridesFile?: string;

  constructor(scope: Construct, id: string, props: St2ProcessProps) {
    super(scope, id);
    const runtime = props.runtime;
    checkReplicas({
      setting: props.setting,
      replicas: props.replicas,
      mode: props.haMode,
      needsCoordination: props.needsCoordination,
      coordination: runtime.config.conf.coordination,
    });
    const shared = props.sharedBy;
    const partitionLabel: Record<string, string> = shared ? { [PARTITION_LABEL]: shared.partition } : {};
    this.selector = { ...selectorLabels(runtime.identity, shared?.app ?? props.name), ...partitionLabel };
    this.labels = { ...componentLabels(runtime.identity, shared?.app ?? props.name, props.role, runtime.release.version), ...partitionLabel };
    const runAs: RunAs = props.runAsRoot ? { user: 0, group: 0 } : runtime.st2User;

    const configFiles: string[] = [ST2_PATHS.imageConfig, ST2_PATHS.imageDockerConfig, ST2_PATHS.sharedConfig];
    const hashed: Record<string, string> = { shared: runtime.config.hash };
    let overrides: St2ContainersOptions['overrides'];
    if (props.overrides && Object.keys(props.overrides).length > 0) {
      const key = `${props.name}.conf`;
      this.overridesFile = renderOverrides(props.name, props.overrides);
      const map =
        shared?.overridesMap ??
        new kplus.ConfigMap(this, 'Overrides', {
          metadata: { name: `${props.name}-config` },
          data: { [key]: this.overridesFile },
        });
      if (map.data[key] !== this.overridesFile) throw new Error(`${map.name} holds no ${key} as renderOverrides writes it`);
      overrides = { map, key };
      configFiles.push(`${ST2_PATHS.overridesDir}/${key}`);
      hashed.overrides = this.overridesFile;
    }
    for (const file of props.generatedConfigFiles ?? []) configFiles.push(`${ST2_PATHS.secretsDir}/${file}`);
    configFiles.push(ST2_PATHS.secretsConfig);
    this.configFiles = configFiles;
    if (props.prepareEnv) hashed.prepare = JSON.stringify(props.prepareEnv);
    if (props.env) hashed.env = JSON.stringify(props.env);

    const grace = props.terminationGracePeriodSeconds ?? 30;
    requireInteger(grace, `${props.setting}.terminationGracePeriodSeconds`, 1);
    const partitions = props.ordinalPartitions;
    const podAnnotations = { 'checksum/config': contentHash(hashed) };
    if (partitions === undefined) {
      this.pods = props.replicas;
      this.workload = labelledDeployment(this, {
        name: props.name,
        replicas: props.autoscaled ? undefined : props.replicas,
        selector: this.selector,
        labels: this.labels,
        runAs,
        fsGroup: runtime.st2User.group,
        strategy: strategyOf(props) === 'Recreate' ? kplus.DeploymentStrategy.recreate() : undefined,
        terminationGracePeriodSeconds: grace,
        podAnnotations,
      });
    } else {
      this.pods = partitions * props.replicas;
      this.workload = this.partitionSet(props.name, this.pods, runAs, runtime.st2User.group, grace, podAnnotations);
    }

    const env: Record<string, kplus.EnvValue> = {};
    if (partitions !== undefined) env.ST2_POD_NAME = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME);
    for (const [key, value] of Object.entries(props.prepareEnv ?? {})) env[key] = kplus.EnvValue.fromValue(value);
    for (const [key, ref] of Object.entries(props.prepareSecretEnv ?? {})) {
      env[key] = kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(this, `${key}Secret`, ref.name), key: ref.key });
    }
    this.container = addSt2Containers(this, this.workload, {
      prepareEnv: env,
      secretsTemplate: props.secretsTemplate,
      runtime,
      setting: props.setting,
      containerName: props.name,
      image: props.image,
      command: [`${ST2_PATHS.bin}/${props.executable}`, ...configFiles.map((file) => `--config-file=${file}`), ...(props.extraArgs ?? [])],
      resources: props.resources,
      runAs,
      port: props.port,
      probes: props.probes,
      preStopSleepSeconds: props.preStopSleepSeconds,
      overrides,
      mounts: props.mounts,
      writableRootFilesystem: props.writableRootFilesystem,
      env: props.env ? Object.fromEntries(Object.entries(props.env).map(([key, value]) => [key, kplus.EnvValue.fromValue(value)])) : undefined,
    });

    checkPlacement(props.placement, `${props.setting}.placement`);
    const placement = mergePlacement(runtime.placement, props.placement);
    patchPodSpec(this.workload, { selector: this.selector, spread: spreadFor(this.pods, placement), placement, architectures: runtime.release.architectures });

    if (props.port) {
      this.service = httpService(this, { name: props.name, selector: this.selector, port: props.port });
    }
    this.node.addMetadata('ha-mode', props.haMode);
    if (this.pods >= 2) {
      new DisruptionBudget(this, 'DisruptionBudget', { name: props.name, selector: this.selector, replicas: this.pods });
    }
    labelAll(this, this.labels);
  }

  /**
   * The StatefulSet of an ordinal-partitioned process and the headless Service its
   * `serviceName` must name. Pods start in parallel (partitions do not wait for each
   * other) and roll one at a time.
   */
  private partitionSet(name: string, pods: number, runAs: RunAs, fsGroup: number, grace: number, podAnnotations: Record<string, string>): kplus.StatefulSet {
    // cdk8s-plus 27 refuses a Service without ports, which a headless Service that only
    // names the pods is (Kubernetes requires ports only of Services with a cluster IP).
    const headless = new kplus.Service(this, 'Headless', {
      metadata: { name: `${name}-headless` },
      clusterIP: 'None',
      selector: kplus.Pods.select(this, 'Pods', { labels: this.selector }),
      ports: [{ port: 1 }],
    });
    ApiObject.of(headless).addJsonPatch(JsonPatch.remove('/spec/ports'), JsonPatch.remove('/spec/selector/cdk8s.io~1metadata.addr'));
    const set = new kplus.StatefulSet(this, 'StatefulSet', {
      metadata: { name },
      replicas: pods,
      service: headless,
      podManagementPolicy: kplus.PodManagementPolicy.PARALLEL,
      select: false,
      spread: false,
      automountServiceAccountToken: false,
      securityContext: podSecurity(runAs, fsGroup),
      terminationGracePeriod: Duration.seconds(grace),
      podMetadata: { annotations: { ...podAnnotations } },
    });
    selectByLabels(set, this.selector, this.labels);
    return set;
  }
}

/** Label that tells the workloads of a shared process apart (see St2ProcessProps.sharedBy). */
export const PARTITION_LABEL = 'stackstorm.io/partition';

/** A singleton or active-passive process never rolls: two pods of it must never overlap. */
function strategyOf(props: St2ProcessProps): 'RollingUpdate' | 'Recreate' {
  const oneAtATime = props.haMode === 'singleton' || props.haMode === 'active-passive';
  if (oneAtATime && props.strategy === 'RollingUpdate') {
    throw new Error(`${props.name}: a ${props.haMode} process cannot use RollingUpdate (two pods would overlap during a rollout)`);
  }
  return props.strategy ?? (oneAtATime ? 'Recreate' : 'RollingUpdate');
}

/** The overrides file of process `name`, as its ConfigMap holds it. */
export function renderOverrides(name: string, overrides: IniDocument): string {
  return renderIni(overrides, `${name}: settings for this process only, layered after the shared st2.conf.`);
}

/** What {@link addSt2Containers} puts into a pod. */
export interface St2ContainersOptions {
  readonly runtime: St2Runtime;
  readonly setting: string;
  readonly containerName: string;
  readonly image: ImageSettings;
  /** Full command line (executable and `--config-file` flags). */
  readonly command: readonly string[];
  readonly resources: ResourceSettings;
  readonly runAs: RunAs;
  readonly port?: number;
  readonly probes?: St2Probes;
  readonly preStopSleepSeconds?: number;
  /** The process's overrides file: `key` of `map`, mounted alone in /etc/st2/overrides. */
  readonly overrides?: { readonly map: kplus.ConfigMap; readonly key: string };
  readonly mounts?: St2Mounts;
  /** Leave the main container's root filesystem writable. @default false */
  readonly writableRootFilesystem?: boolean;
  /** Extra environment for the main container. */
  readonly env?: Record<string, kplus.EnvValue>;
  /** Extra environment for the `prepare` init container. */
  readonly prepareEnv?: Record<string, kplus.EnvValue>;
  /** The secrets template prepare fills, a file of the shared ConfigMap. @default 'st2.secrets.conf.template' */
  readonly secretsTemplate?: string;
}

/**
 * Adds the `prepare` init container (wait for datastores, write st2.secrets.conf) and the
 * st2 container with every shared mount to a pod. Deployments and Jobs both use it, so a
 * Job reads exactly the configuration the processes read.
 */
export function addSt2Containers(scope: Construct, pod: kplus.AbstractPod, options: St2ContainersOptions): kplus.Container {
  const { runtime, setting, runAs } = options;
  const image = imageReference(options.image, `${setting}.image`);
  const parts = podParts(runtime);
  const env: Record<string, kplus.EnvValue> = {
    ...options.prepareEnv,
    [SECRET_ENV.mongoPassword]: kplus.EnvValue.fromSecretValue({ secret: parts.mongoPassword, key: runtime.mongoPassword.key }),
    [SECRET_ENV.rabbitPassword]: kplus.EnvValue.fromSecretValue({ secret: parts.rabbitPassword, key: runtime.rabbitPassword.key }),
  };
  const prepare = pod.addInitContainer({
    name: 'prepare',
    image,
    imagePullPolicy: pullPolicy(options.image),
    command: [
      ST2_PATHS.python,
      ST2_PATHS.prepareScript,
      options.secretsTemplate ? `${ST2_PATHS.sharedDir}/${options.secretsTemplate}` : ST2_PATHS.secretsTemplate,
      ST2_PATHS.secretsConfig,
      ...runtime.waitFor.map((group) => group.join(',')),
    ],
    envVariables: env,
    resources: toContainerResources({ cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '64Mi' }, `${setting}.prepare`),
    securityContext: containerSecurity(runAs),
  });

  const container = pod.addContainer({
    name: options.containerName,
    image,
    imagePullPolicy: pullPolicy(options.image),
    command: [...options.command],
    envVariables: options.env,
    lifecycle: options.preStopSleepSeconds ? { preStop: kplus.Handler.fromCommand(['sleep', String(options.preStopSleepSeconds)]) } : undefined,
    ports: options.port ? [{ number: options.port, name: 'http' }] : undefined,
    resources: toContainerResources(options.resources, `${setting}.resources`),
    securityContext: containerSecurity(runAs, !options.writableRootFilesystem),
    readiness: options.probes?.readiness,
    liveness: options.probes?.liveness,
    startup: options.probes?.startup,
  });

  const { shared, secretsDir, tmp } = parts;
  prepare.mount(ST2_PATHS.sharedDir, shared, { readOnly: true });
  prepare.mount(ST2_PATHS.secretsDir, secretsDir);
  container.mount(ST2_PATHS.sharedDir, shared, { readOnly: true });
  container.mount(ST2_PATHS.secretsDir, secretsDir, { readOnly: true });
  // gunicorn and Python's tempfile need a writable /tmp on a read-only root filesystem.
  container.mount('/tmp', tmp);
  if (options.overrides) {
    const { map, key } = options.overrides;
    // Only this process's key: a map shared by partitions holds every partition's file.
    const volume = kplus.Volume.fromConfigMap(scope, 'OverridesVolume', map, { name: 'st2-overrides', items: { [key]: { path: key } } });
    container.mount(ST2_PATHS.overridesDir, volume, { readOnly: true });
  }
  const mounts = options.mounts ?? {};
  if (mounts.datastoreKey) container.mount(ST2_PATHS.keysDir, parts.datastoreKey(), { readOnly: true });
  if (mounts.htpasswd) container.mount(ST2_PATHS.htpasswdDir, parts.htpasswd(), { readOnly: true });
  if (mounts.sshKey) installSshKey(pod, container, options, parts);
  if (mounts.content) runtime.content.mountInto(pod, container, runAs);
  // Every st2 process reaches MongoDB, so each gets the CA its TLS connection verifies against.
  const mongoCa = runtime.config.conf.mongo.tlsCaSecret;
  if (mongoCa) {
    const volume = kplus.Volume.fromSecret(scope, 'MongoCaVolume', kplus.Secret.fromSecretName(scope, 'MongoCa', mongoCa), {
      name: 'mongodb-ca',
      items: { 'ca.crt': { path: 'ca.crt' } },
    });
    container.mount(ST2_PATHS.mongoCaDir, volume, { readOnly: true });
  }

  return container;
}

/**
 * Secret volumes are root-owned and read-only, and the actions that use the key run as
 * stanley: a root init step copies the key into a pod-local folder owned by stanley.
 */
function installSshKey(pod: kplus.AbstractPod, container: kplus.Container, options: St2ContainersOptions, parts: St2PodParts): void {
  const { runAs, runtime } = options;
  if (runAs.user !== 0) throw new Error(`${options.setting}: the ssh key is installed by a root init step; this pod runs as ${runAs.user}`);
  const stanley = runtime.st2User;
  const step = pod.addInitContainer({
    name: 'ssh-key',
    image: imageReference(options.image, `${options.setting}.image`),
    imagePullPolicy: pullPolicy(options.image),
    command: [
      'sh',
      '-ec',
      [
        `cp ${ST2_PATHS.sshKeySecretDir}/stanley_rsa ${ST2_PATHS.sshKey}`,
        `chown -R ${stanley.user}:${stanley.group} ${ST2_PATHS.sshDir}`,
        `chmod 0400 ${ST2_PATHS.sshKey}`,
        `chmod 0500 ${ST2_PATHS.sshDir}`,
      ].join('\n'),
    ],
    resources: toContainerResources({ cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '32Mi' }, `${options.setting}.sshKey`),
    securityContext: containerSecurity(runAs),
  });
  step.mount(ST2_PATHS.sshKeySecretDir, parts.sshKey(), { readOnly: true });
  step.mount(ST2_PATHS.sshDir, parts.sshDir);
  container.mount(ST2_PATHS.sshDir, parts.sshDir);
}

/** The volume of the shared st2 ConfigMap (st2.conf, prepare.py, the seed script). */
export function sharedConfigVolume(runtime: St2Runtime): kplus.Volume {
  return podParts(runtime).shared;
}

/**
 * The volumes and Secret references every st2 pod uses alike. A kplus Volume or imported
 * Secret is only a name and a source, so one of each serves every pod; built per process,
 * they were two thirds of the constructs of a large deployment (2,900 of 4,350 with 256
 * sensor partitions), each paid for again by every walk of the tree.
 */
interface St2PodParts {
  readonly shared: kplus.Volume;
  readonly secretsDir: kplus.Volume;
  readonly tmp: kplus.Volume;
  /** The pod-local home of the installed ssh key. */
  readonly sshDir: kplus.Volume;
  readonly mongoPassword: kplus.ISecret;
  readonly rabbitPassword: kplus.ISecret;
  /** Secret volumes, created on first use: their Secret names are checked only when mounted. */
  readonly datastoreKey: () => kplus.Volume;
  readonly htpasswd: () => kplus.Volume;
  readonly sshKey: () => kplus.Volume;
}

const podPartsOf = new WeakMap<St2Runtime, St2PodParts>();

/** The {@link St2PodParts} of a runtime, created on first use beside its shared ConfigMap. */
function podParts(runtime: St2Runtime): St2PodParts {
  let parts = podPartsOf.get(runtime);
  if (parts) return parts;
  const scope = new Construct(runtime.config, 'PodParts');
  const secretVolume = (id: string, volumeName: string, secretName: string, key: string, mode: number, fileName = key) => {
    let volume: kplus.Volume | undefined;
    return () => {
      if (volume) return volume;
      check(
        secretName.length > 0,
        `secrets.${id.charAt(0).toLowerCase()}${id.slice(1)}`,
        'no Secret name given',
        'name the Secret you created (see README, "Secrets")',
      );
      const secret = kplus.Secret.fromSecretName(scope, `${id}Secret`, secretName);
      volume = kplus.Volume.fromSecret(scope, `${id}Volume`, secret, {
        name: volumeName,
        defaultMode: mode,
        items: { [key]: { path: fileName } },
      });
      return volume;
    };
  };
  parts = {
    shared: kplus.Volume.fromConfigMap(scope, 'SharedConfig', runtime.config.configMap, { name: 'st2-config' }),
    secretsDir: kplus.Volume.fromEmptyDir(scope, 'SecretsDir', 'st2-secrets-conf', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) }),
    tmp: kplus.Volume.fromEmptyDir(scope, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(256) }),
    sshDir: kplus.Volume.fromEmptyDir(scope, 'SshDir', 'ssh', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) }),
    mongoPassword: kplus.Secret.fromSecretName(scope, 'MongoPassword', runtime.mongoPassword.name),
    rabbitPassword: kplus.Secret.fromSecretName(scope, 'RabbitPassword', runtime.rabbitPassword.name),
    datastoreKey: secretVolume('DatastoreKey', 'datastore-key', runtime.secrets.datastoreKey, 'datastore_key.json', 0o440),
    htpasswd: secretVolume('Htpasswd', 'htpasswd', runtime.secrets.htpasswd, 'htpasswd', 0o440),
    sshKey: secretVolume('SshKey', 'ssh-key', runtime.secrets.sshKey, 'private_key', 0o400, 'stanley_rsa'),
  };
  podPartsOf.set(runtime, parts);
  return parts;
}
