import { serverAccountOf } from '../images/image-model';
import { createHash } from 'crypto';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { check, SettingError } from '../common/errors';
import { componentLabels, labelAll, ReleaseIdentity } from '../common/meta';
import { RESOURCE_PRESETS, ResourceSettings, toContainerResources } from '../common/resources';
import { containerSecurity, ImageSettings, imageReference, PlacementSettings, pullPolicy, RunAs } from '../common/workload';
import { MongoDbSettings } from '../config/datastores';
import { MongoEndpoint } from '../config/endpoints';
import { MemberSet } from './member-set';
import { memberHostPorts } from './members';
import {
  MONGO_INIT_ENV,
  MONGO_PATHS,
  MONGO_SCRIPT_FILES,
  ReplicaSetInit,
  renderCopyKeyfileScript,
  renderCreateUserScript,
  renderInitiateScript,
  renderInitScript,
  renderLivenessScript,
  renderReadinessScript,
} from './mongodb-scripts';
import { ComponentProfile, declareProfile } from '../common/component-profile';
import { checkStorageSize } from '../common/validators';
import { checkQuorumMembers } from '../common/quorum';
import { oneShotJob } from '../common/job';

/**
 * The newest MongoDB StackStorm 3.9 supports: its upgrade notes give "4.x to v7.x" and its
 * CI runs 7.0. Official images ship `mongosh` from 5.0 on, which the scripts need.
 */
export const MONGO_DEFAULT_IMAGE: ImageSettings = { registry: 'docker.io/library', repository: 'mongo', tag: '7.0.37' };

/** The `mongodb` user and group of the official image (its Dockerfile creates them as 999). */
export const MONGO_USER: RunAs = serverAccountOf('mongo');

export const MONGO_PORT = 27017;

/** Sized for a small production st2: mongod plus a mongosh process per probe run. */
export const MONGO_DEFAULT_RESOURCES: ResourceSettings = { cpuRequest: '250m', memoryRequest: '1Gi', memoryLimit: '3Gi' };

/** Props of {@link MongoDbReplicaSet}. */
export interface MongoDbReplicaSetProps {
  /** Namespace and instance the objects belong to. */
  readonly identity: ReleaseIdentity;
  /**
   * The user's `datastores.mongodb` settings; `inCluster`, `replicaSet`, `database`,
   * `username` and `secretName` are used here.
   * @default all defaults: 3 members of `rs0`, 10Gi each, user `st2` on database `st2`, Secret `st2-mongodb`
   */
  readonly settings?: MongoDbSettings;
  /**
   * Where `settings` come from, as error messages name them: an app that builds the replica
   * set from its own configuration names its own key.
   * @default `datastores.mongodb`, the key in a StackStormHa values file
   */
  readonly setting?: string;
  /** Spreading of the members. @default preferred spread across nodes */
  readonly placement?: PlacementSettings;
  /** Where its init Job runs. @default `placement` */
  readonly jobPlacement?: PlacementSettings;
  /** Name of the root user created from the Secret's `root-password`. @default 'root' */
  readonly rootUsername?: string;
  /** Seconds the init Job waits for every member, and then for a primary. @default 600 */
  readonly initTimeoutSeconds?: number;
}

/** Where a values file keeps the settings. */
const DEFAULT_SETTING = 'datastores.mongodb';
const NAME = 'mongodb';
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The replica set with its init Job (same wave: member 0 is ready only after the Job initiated the set). */
export const MONGODB_PROFILE: ComponentProfile = { name: 'mongodb', syncStage: 'datastores' };

/**
 * MongoDB as a replica set for st2: a StatefulSet `mongodb` with one PVC per member, a
 * headless Service `mongodb-headless` for member DNS and a client Service `mongodb`, keyfile
 * authentication between members, a PodDisruptionBudget, and a Job `mongodb-init` that
 * initiates the set and creates st2's user, both only when missing.
 *
 * The user creates one Secret (default `st2-mongodb`) with keys `password` (st2's user),
 * `root-password` and `keyfile` (e.g. `openssl rand -base64 756`).
 */
export class MongoDbReplicaSet extends Construct {
  /** Where st2 connects: every member, the set name, and authSource = st2's database. */
  public readonly endpoint: MongoEndpoint;
  public readonly statefulSet: kplus.StatefulSet;
  public readonly headlessService: kplus.Service;
  public readonly service: kplus.Service;
  public readonly initJob: kplus.Job;
  public readonly selector: Record<string, string>;
  /** The scripts as rendered into the ConfigMap `mongodb-scripts`, by file name. */
  public readonly scripts: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: MongoDbReplicaSetProps) {
    super(scope, id);
    declareProfile(this, MONGODB_PROFILE);
    const settings = props.settings ?? {};
    const inCluster = settings.inCluster ?? {};
    const setting = props.setting ?? DEFAULT_SETTING;

    // Every check runs before any object is built.
    const replicas = inCluster.replicas ?? 3;
    checkMongoMembers(replicas, setting);
    const secretName = settings.secretName ?? 'st2-mongodb';
    check(
      secretName.length > 0,
      `${setting}.secretName`,
      'no Secret name given',
      'name the Secret you created with keys password, root-password and keyfile (see README, "Secrets")',
    );
    const replicaSet = settings.replicaSet ?? 'rs0';
    check(NAME_PATTERN.test(replicaSet), `${setting}.replicaSet`, `${JSON.stringify(replicaSet)} is not a replica set name`, 'use letters, digits, _ and -');
    const database = settings.database ?? 'st2';
    check(NAME_PATTERN.test(database), `${setting}.database`, `${JSON.stringify(database)} is not a database name`, 'use letters, digits, _ and -');
    const username = settings.username ?? 'st2';
    check(/^[A-Za-z0-9._-]{1,64}$/.test(username), `${setting}.username`, `${JSON.stringify(username)} is not a user name`, 'use letters, digits, ., _ and -');
    const rootUsername = props.rootUsername ?? 'root';
    check(/^[A-Za-z0-9._-]{1,64}$/.test(rootUsername), 'rootUsername', `${JSON.stringify(rootUsername)} is not a user name`, 'use letters, digits, ., _ and -');
    const storageSize = inCluster.storageSize ?? '10Gi';
    checkStorageSize(storageSize, `${setting}.inCluster.storageSize`, '10Gi');
    const storageClassName = inCluster.storageClassName;
    if (storageClassName !== undefined) {
      check(
        /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(storageClassName),
        `${setting}.inCluster.storageClassName`,
        `${JSON.stringify(storageClassName)} is not a StorageClass name`,
        'name an existing StorageClass, or leave it out for the cluster default',
      );
    }
    const image: ImageSettings = { ...MONGO_DEFAULT_IMAGE, ...inCluster.image };
    const imageRef = imageReference(image, `${setting}.inCluster.image`);
    checkShell(image.tag, setting);
    const resourceSettings = inCluster.resources ?? MONGO_DEFAULT_RESOURCES;
    const resources = toContainerResources(resourceSettings, `${setting}.inCluster.resources`);
    const timeout = props.initTimeoutSeconds ?? 600;
    check(Number.isInteger(timeout) && timeout >= 30, 'initTimeoutSeconds', `got ${timeout}`, 'give at least 30 seconds');

    const members = memberHostPorts(NAME, replicas, props.identity, MONGO_PORT);
    const authSource = settings.authSource ?? database;
    check(NAME_PATTERN.test(authSource), `${setting}.authSource`, `${JSON.stringify(authSource)} is not a database name`, 'use letters, digits, _ and -');
    const init: ReplicaSetInit = { replicaSet, members, database, authSource, username, timeoutSeconds: timeout };
    this.scripts = {
      [MONGO_SCRIPT_FILES.copyKeyfile]: renderCopyKeyfileScript(),
      [MONGO_SCRIPT_FILES.init]: renderInitScript(init),
      [MONGO_SCRIPT_FILES.initiate]: renderInitiateScript(init),
      [MONGO_SCRIPT_FILES.createUser]: renderCreateUserScript(init),
    };
    this.endpoint = {
      hosts: members,
      replicaSet,
      database,
      authSource,
      username,
      password: { name: secretName, key: 'password' },
    };

    // Parallel start: member 0 only becomes ready once the set is initiated, and initiating
    // needs every member running and resolvable by name (lib/backing/members.ts).
    const set = new MemberSet(this, 'Members', {
      identity: props.identity,
      name: NAME,
      role: 'database',
      version: image.tag,
      members: replicas,
      runAs: MONGO_USER,
      placement: props.placement,
      ports: [{ name: 'mongodb', port: MONGO_PORT }],
      clientPorts: [{ name: 'mongodb', port: MONGO_PORT }],
      podAnnotations: { 'checksum/scripts': sha256(this.scripts[MONGO_SCRIPT_FILES.copyKeyfile]) },
      // mongod steps down a primary and drains on SIGTERM; give it time to do so.
      terminationGracePeriodSeconds: 60,
      volumeClaim: { size: storageSize, storageClassName, mountPath: MONGO_PATHS.dataDir },
    });
    this.statefulSet = set.statefulSet;
    this.headlessService = set.headlessService;
    this.service = set.service!;
    this.selector = set.selector;

    const secret = kplus.Secret.fromSecretName(this, 'Secret', secretName);
    const scriptsMap = new kplus.ConfigMap(this, 'Scripts', {
      metadata: { name: `${NAME}-scripts` },
      data: { ...this.scripts },
    });
    const scriptsVolume = (scopeId: string) => kplus.Volume.fromConfigMap(this, scopeId, scriptsMap, { name: 'scripts', defaultMode: 0o555 });

    const keyfileCopy = this.statefulSet.addInitContainer({
      name: 'copy-keyfile',
      image: imageRef,
      imagePullPolicy: pullPolicy(image),
      command: ['/bin/sh', `${MONGO_PATHS.scriptsDir}/${MONGO_SCRIPT_FILES.copyKeyfile}`],
      resources: toContainerResources(RESOURCE_PRESETS.tiny, `${setting}.copyKeyfile`),
      securityContext: containerSecurity(MONGO_USER),
    });

    const mongod = this.statefulSet.addContainer({
      name: 'mongod',
      image: imageRef,
      imagePullPolicy: pullPolicy(image),
      // No command: the image's entrypoint creates the root user on an empty data directory.
      // It starts a temporary standalone mongod for that, stripping --replSet and --keyFile,
      // so MONGO_INITDB_ROOT_* and a replica set do not conflict (7.0 entrypoint). On
      // members 1.. the user is replaced by member 0's during their initial sync.
      args: [
        'mongod',
        '--replSet',
        replicaSet,
        '--bind_ip_all',
        '--port',
        String(MONGO_PORT),
        '--dbpath',
        MONGO_PATHS.dataDir,
        '--keyFile',
        MONGO_PATHS.keyfile,
        '--wiredTigerCacheSizeGB',
        String(wiredTigerCacheSizeGb(resourceSettings.memoryLimit, setting)),
      ],
      ports: [{ number: MONGO_PORT, name: 'mongodb' }],
      envVariables: {
        MONGO_INITDB_ROOT_USERNAME: kplus.EnvValue.fromValue(rootUsername),
        MONGO_INITDB_ROOT_PASSWORD: kplus.EnvValue.fromSecretValue({ secret, key: 'root-password' }),
        // mongosh (entrypoint, probes) keeps its logs under $HOME; keep them off the data volume.
        HOME: kplus.EnvValue.fromValue(MONGO_PATHS.tmp),
      },
      resources,
      securityContext: containerSecurity(MONGO_USER),
      readiness: mongoshProbe(renderReadinessScript(), { period: 10, failureThreshold: 3 }),
      liveness: mongoshProbe(renderLivenessScript(), { period: 20, failureThreshold: 6 }),
      // Journal recovery or a first start with the entrypoint's init can take minutes.
      startup: mongoshProbe(renderLivenessScript(), { period: 5, failureThreshold: 120 }),
    });

    const keyfileSecret = kplus.Volume.fromSecret(this, 'KeyfileSecret', secret, {
      name: 'keyfile-secret',
      defaultMode: 0o400,
      items: { keyfile: { path: 'keyfile' } },
    });
    const keyfileDir = kplus.Volume.fromEmptyDir(this, 'KeyfileDir', 'keyfile', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) });
    const tmp = kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(256) });
    const scripts = scriptsVolume('ScriptsVolume');
    keyfileCopy.mount(MONGO_PATHS.keyfileSecretDir, keyfileSecret, { readOnly: true });
    keyfileCopy.mount(MONGO_PATHS.keyfileDir, keyfileDir);
    keyfileCopy.mount(MONGO_PATHS.scriptsDir, scripts, { readOnly: true });
    mongod.mount(MONGO_PATHS.keyfileDir, keyfileDir, { readOnly: true });
    mongod.mount(MONGO_PATHS.tmp, tmp);
    // Before the init Job exists: it carries its own labels.
    labelAll(this, set.labels);

    this.initJob = this.addInitJob(
      props.identity,
      image,
      imageRef,
      secret,
      scriptsVolume('JobScriptsVolume'),
      rootUsername,
      image.tag,
      setting,
      props.jobPlacement ?? props.placement,
    );
  }

  /**
   * The Job that initiates the set and creates st2's user. It has no content hash in its
   * template: a Job's template is immutable, and the scripts are read from the ConfigMap
   * at run time anyway.
   */
  private addInitJob(
    identity: ReleaseIdentity,
    image: ImageSettings,
    imageRef: string,
    secret: kplus.ISecret,
    scripts: kplus.Volume,
    rootUsername: string,
    version: string,
    setting: string,
    placement: PlacementSettings | undefined,
  ): kplus.Job {
    const scope = new Construct(this, 'Init');
    const name = `${NAME}-init`;
    const job = oneShotJob(scope, 'Job', {
      name,
      labels: componentLabels(identity, name, 'job', version),
      runAs: MONGO_USER,
      // Retries cover members that come up slowly and a primary that moves during init.
      backoffLimit: 10,
      placement,
      labelScope: scope,
    });
    const container = job.addContainer({
      name: 'init',
      image: imageRef,
      imagePullPolicy: pullPolicy(image),
      command: ['/bin/sh', `${MONGO_PATHS.scriptsDir}/${MONGO_SCRIPT_FILES.init}`],
      envVariables: {
        [MONGO_INIT_ENV.rootUsername]: kplus.EnvValue.fromValue(rootUsername),
        [MONGO_INIT_ENV.rootPassword]: kplus.EnvValue.fromSecretValue({ secret, key: 'root-password' }),
        [MONGO_INIT_ENV.userPassword]: kplus.EnvValue.fromSecretValue({ secret, key: 'password' }),
        HOME: kplus.EnvValue.fromValue(MONGO_PATHS.tmp),
      },
      resources: toContainerResources(RESOURCE_PRESETS.small, `${setting}.init`),
      securityContext: containerSecurity(MONGO_USER),
    });
    container.mount(MONGO_PATHS.scriptsDir, scripts, { readOnly: true });
    container.mount(MONGO_PATHS.tmp, kplus.Volume.fromEmptyDir(scope, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) }));
    return job;
  }
}

/** A replica set needs an odd number of at least 3 members to keep a majority through one loss. */
export function checkMongoMembers(replicas: number, setting = DEFAULT_SETTING): void {
  checkQuorumMembers(`${setting}.inCluster.replicas`, replicas, 'a replica set');
}

/** The scripts need mongosh, which official images ship from 5.0; 4.4 has only the legacy shell. */
function checkShell(tag: string, setting: string): void {
  const match = /^([0-9]+)\.([0-9]+)/.exec(tag);
  if (match && Number(match[1]) < 5) {
    throw new SettingError(
      `${setting}.inCluster.image.tag`,
      `${tag} ships only the legacy mongo shell, not mongosh`,
      `use ${MONGO_DEFAULT_IMAGE.tag} (the newest StackStorm 3.9 supports) or another 5.0+ image`,
    );
  }
}

/**
 * WiredTiger's cache, sized from the container's memory limit rather than the node's RAM:
 * half of (limit - 1 GiB), at least 0.25 GB, as mongod would choose on a host of that size.
 */
export function wiredTigerCacheSizeGb(memoryLimit: string, setting = DEFAULT_SETTING): number {
  const match = /^([0-9]+)(Ki|Mi|Gi)$/.exec(memoryLimit);
  if (!match)
    throw new SettingError(
      `${setting}.inCluster.resources.memoryLimit`,
      `${JSON.stringify(memoryLimit)} is not a memory quantity`,
      'write a whole number with Ki, Mi or Gi, e.g. 2Gi',
    );
  const gib = Number(match[1]) / { Ki: 1024 * 1024, Mi: 1024, Gi: 1 }[match[2] as 'Ki' | 'Mi' | 'Gi'];
  return Math.max(0.25, Math.floor(((gib - 1) / 2) * 100) / 100);
}

function mongoshProbe(script: string, timing: { period: number; failureThreshold: number }): kplus.Probe {
  return kplus.Probe.fromCommand(
    ['mongosh', '--quiet', '--norc', `mongodb://127.0.0.1:${MONGO_PORT}/admin?directConnection=true&serverSelectionTimeoutMS=5000`, '--eval', script],
    {
      periodSeconds: Duration.seconds(timing.period),
      failureThreshold: timing.failureThreshold,
      // mongosh is a Node.js program: starting it takes a second or two on a busy node.
      timeoutSeconds: Duration.seconds(10),
    },
  );
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
