import { contentHash } from '../common/hash';
import { serverAccountOf } from '../images/image-model';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { check, SettingError } from '../common/errors';
import { componentLabels, labelAll, ReleaseIdentity, serviceHost } from '../common/meta';
import { ResourceSettings, RESOURCE_PRESETS, toContainerResources } from '../common/resources';
import { containerSecurity, ImageSettings, imageReference, PlacementSettings, pullPolicy, RunAs } from '../common/workload';
import { PostgresEndpoint } from '../config/endpoints';
import { MemberSet } from './member-set';
import { PostgresSettings } from '../config/mistral';
import {
  POSTGRES_FILES,
  POSTGRES_PATHS,
  POSTGRES_PORT,
  renderCreateRoleSql,
  renderPostgresInitScript,
  renderPgHba,
  renderPostgresqlConf,
} from './postgres-conf';
import { ComponentProfile, declareProfile } from '../common/component-profile';
import { checkCidrs, checkStorageSize } from '../common/validators';
import { oneShotJob } from '../common/job';

/** The pinned official image (Debian); its `postgres` user and group are 999. */
export const POSTGRES_IMAGE: ImageSettings = { registry: 'docker.io/library', repository: 'postgres', tag: '15.13' };
export const POSTGRES_USER: RunAs = serverAccountOf('postgres');
const DEFAULT_RESOURCES: ResourceSettings = { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '1Gi' };
/** Environment variable the init Job reads Mistral's password from. */
export const MISTRAL_DB_PASSWORD_ENV = 'MISTRAL_DB_PASSWORD';

/** Props of {@link PostgreSql}. */
export interface PostgreSqlProps {
  /** Namespace and instance the objects belong to. */
  readonly identity: ReleaseIdentity;
  /** Where the database pod runs. @default anywhere */
  readonly placement?: PlacementSettings;
  /** Where its init Job runs. @default `placement` */
  readonly jobPlacement?: PlacementSettings;
  /** The user's settings; `mode` must be in-cluster here. @default all defaults */
  readonly settings?: PostgresSettings;
  /** Setting path used in error messages. @default 'mistral.postgresql' */
  readonly setting?: string;
  /** Seconds the init Job waits for the server. @default 600 */
  readonly initTimeoutSeconds?: number;
}

const NAME = 'postgresql';
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Mistral's database and role, checked (they are written unquoted into scripts). */
function identity(settings: PostgresSettings, setting: string): { database: string; username: string; secretName: string } {
  const database = settings.database ?? 'mistral';
  const username = settings.username ?? 'mistral';
  check(
    IDENTIFIER.test(database),
    `${setting}.database`,
    `${JSON.stringify(database)} is not a plain PostgreSQL name`,
    'use lower-case letters, digits and _, starting with a letter or _',
  );
  check(
    IDENTIFIER.test(username),
    `${setting}.username`,
    `${JSON.stringify(username)} is not a plain PostgreSQL name`,
    'use lower-case letters, digits and _, starting with a letter or _',
  );
  const secretName = settings.secretName ?? 'st2-postgresql';
  check(
    secretName.length > 0,
    `${setting}.secretName`,
    'no Secret name given',
    'name the Secret you created with keys password and postgres-password (see README, "Secrets")',
  );
  return { database, username, secretName };
}

/** The endpoint of an external PostgreSQL; checks its settings. */
export function externalPostgresEndpoint(settings: PostgresSettings, setting = 'mistral.postgresql'): PostgresEndpoint {
  const { database, username, secretName } = identity(settings, setting);
  const host = settings.external?.host ?? '';
  check(
    /^[A-Za-z0-9.-]+:[0-9]{1,5}$/.test(host),
    `${setting}.external.host`,
    host ? `${JSON.stringify(host)} is not host:port` : 'external mode names no host',
    "give the server (or the cluster's primary endpoint) as host:port, e.g. pg.example.com:5432, or use mode: in-cluster",
  );
  return { host, database, username, password: { name: secretName, key: 'password' } };
}

/** The database with its init Job (same wave, as for MongoDB). */
export const POSTGRESQL_PROFILE: ComponentProfile = {
  name: 'postgresql',
  syncStage: 'datastores',
  byDesign: { mode: 'singleton', reason: 'single-writer database: one primary, no failover' },
};

/**
 * PostgreSQL for Mistral: StatefulSet `postgresql` of exactly one member with its own
 * claim, headless Service `postgresql-headless`, client Service `postgresql`, ConfigMap
 * `postgresql-config` (postgresql.conf, pg_hba.conf, the role script) and Job
 * `postgresql-init`, which creates Mistral's role and database when missing.
 *
 * A singleton, plainly: no replication, no failover, and no PodDisruptionBudget (a budget
 * for one pod would block every node drain). The HA guide defers PostgreSQL HA to
 * PostgreSQL's own tools; its data is Mistral's operational state, and a new empty server
 * brings automation back once the schema Job has run. For HA, run a managed service or a
 * Patroni cluster and use `mode: external`.
 */
export class PostgreSql extends Construct {
  public readonly endpoint: PostgresEndpoint;
  public readonly members: MemberSet;
  public readonly configMap: kplus.ConfigMap;
  public readonly initJob: kplus.Job;
  /** The rendered files of `postgresql-config`, by name. */
  public readonly files: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: PostgreSqlProps) {
    super(scope, id);
    declareProfile(this, POSTGRESQL_PROFILE);
    const settings = props.settings ?? {};
    const setting = props.setting ?? 'mistral.postgresql';
    const inCluster = settings.inCluster ?? {};
    const { database, username, secretName } = identity(settings, setting);
    const image: ImageSettings = { ...POSTGRES_IMAGE, ...inCluster.image };
    const imageRef = imageReference(image, `${setting}.inCluster.image`);
    const major = Number(/^([0-9]+)/.exec(image.tag)?.[1] ?? NaN);
    check(
      major >= 15,
      `${setting}.inCluster.image.tag`,
      `${image.tag} is not PostgreSQL 15 or newer`,
      "use 15.x or newer: the role script uses psql's \\getenv (15+)",
    );
    const resourceSettings = inCluster.resources ?? DEFAULT_RESOURCES;
    const resources = toContainerResources(resourceSettings, `${setting}.inCluster.resources`);
    const storageSize = inCluster.storageSize ?? '8Gi';
    checkStorageSize(storageSize, `${setting}.inCluster.storageSize`, '8Gi');
    const clientCidrs = inCluster.clientCidrs ?? ['0.0.0.0/0', '::/0'];
    checkCidrs(clientCidrs, `${setting}.inCluster.clientCidrs`, 'list the pod CIDRs, or leave it out for any address (passwords are still required)');
    const maxConnections = inCluster.maxConnections ?? 200;
    check(
      Number.isInteger(maxConnections) && maxConnections >= 20,
      `${setting}.inCluster.maxConnections`,
      `got ${JSON.stringify(maxConnections)}`,
      'set an integer >= 20',
    );
    const timeout = props.initTimeoutSeconds ?? 600;
    check(Number.isInteger(timeout) && timeout >= 30, 'initTimeoutSeconds', `got ${timeout}`, 'give at least 30 seconds');
    const memoryLimitMiB = resources.memory!.limit!.toMebibytes();

    this.files = {
      [POSTGRES_FILES.conf]: renderPostgresqlConf({
        listenAddresses: '*',
        port: POSTGRES_PORT,
        hbaFile: POSTGRES_PATHS.hbaFile,
        socketDirectory: POSTGRES_PATHS.socketDir,
        maxConnections,
        sharedBuffersMiB: Math.max(32, Math.floor(memoryLimitMiB / 4)),
      }),
      [POSTGRES_FILES.hba]: renderPgHba({ database, role: username, clientCidrs }),
      [POSTGRES_FILES.createRoleSql]: renderCreateRoleSql(MISTRAL_DB_PASSWORD_ENV),
      [POSTGRES_FILES.initScript]: renderPostgresInitScript({ database, role: username, passwordEnv: MISTRAL_DB_PASSWORD_ENV, timeoutSeconds: timeout }),
    };
    this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { name: `${NAME}-config` }, data: { ...this.files } });
    const secret = kplus.Secret.fromSecretName(this, 'Secret', secretName);

    this.members = new MemberSet(this, 'Members', {
      identity: props.identity,
      name: NAME,
      role: 'database',
      version: image.tag,
      members: 1,
      runAs: POSTGRES_USER,
      placement: props.placement,
      ports: [{ name: 'postgresql', port: POSTGRES_PORT }],
      clientPorts: [{ name: 'postgresql', port: POSTGRES_PORT }],
      // Only the server's own files roll the pod; the init scripts are read by the Job.
      podAnnotations: { 'checksum/config': contentHash({ conf: this.files[POSTGRES_FILES.conf], hba: this.files[POSTGRES_FILES.hba] }) },
      // The preStop fast shutdown must finish before the kubelet's SIGKILL.
      terminationGracePeriodSeconds: 90,
      volumeClaim: { size: storageSize, storageClassName: inCluster.storageClassName, mountPath: POSTGRES_PATHS.dataMount },
      podManagementPolicy: kplus.PodManagementPolicy.ORDERED_READY,
    });

    labelAll(this.configMap, this.members.labels);

    const postgres = this.members.statefulSet.addContainer({
      name: 'postgresql',
      image: imageRef,
      imagePullPolicy: pullPolicy(image),
      // The image's entrypoint runs initdb on an empty PGDATA (superuser password from
      // POSTGRES_PASSWORD), then execs postgres with these arguments.
      args: ['postgres', '-c', `config_file=${POSTGRES_PATHS.configFile}`],
      ports: [{ number: POSTGRES_PORT, name: 'postgresql' }],
      envVariables: {
        PGDATA: kplus.EnvValue.fromValue(POSTGRES_PATHS.dataDir),
        POSTGRES_PASSWORD: kplus.EnvValue.fromSecretValue({ secret, key: 'postgres-password' }),
        POSTGRES_INITDB_ARGS: kplus.EnvValue.fromValue('--auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8'),
      },
      resources,
      securityContext: containerSecurity(POSTGRES_USER),
      // Ready only when it accepts TCP connections, which the entrypoint's temporary
      // init-time server (socket only) never does.
      readiness: pgIsReady('127.0.0.1', 5, 3),
      // Alive while the socket answers; a different check, on a slower clock.
      liveness: pgIsReady(POSTGRES_PATHS.socketDir, 15, 4),
      // initdb or crash recovery after an unclean stop can take minutes.
      startup: pgIsReady(POSTGRES_PATHS.socketDir, 5, 120),
      // Kubernetes sends SIGTERM, PostgreSQL's "smart" shutdown, which waits for every
      // client: Mistral's pools never disconnect, so stop in fast mode instead (roll back,
      // disconnect, checkpoint) and avoid crash recovery on the next start.
      lifecycle: { preStop: kplus.Handler.fromCommand(['pg_ctl', 'stop', '-D', POSTGRES_PATHS.dataDir, '-m', 'fast', '-w', '-t', '60']) },
    });
    const config = kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config' });
    postgres.mount(POSTGRES_PATHS.configDir, config, { readOnly: true });
    postgres.mount(
      POSTGRES_PATHS.socketDir,
      kplus.Volume.fromEmptyDir(this, 'SocketVolume', 'socket', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) }),
    );
    postgres.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: Size.mebibytes(256) }));

    const host = serviceHost(props.identity, NAME);
    this.endpoint = { host: `${host}:${POSTGRES_PORT}`, database, username, password: { name: secretName, key: 'password' } };
    this.initJob = this.addInitJob(props.identity, image, imageRef, secret, host, setting, props.jobPlacement ?? props.placement);
  }

  /** The Job that creates Mistral's role and database; idempotent, so it runs on every sync. */
  private addInitJob(
    identity: ReleaseIdentity,
    image: ImageSettings,
    imageRef: string,
    secret: kplus.ISecret,
    host: string,
    setting: string,
    placement: PlacementSettings | undefined,
  ): kplus.Job {
    const scope = new Construct(this, 'Init');
    const name = `${NAME}-init`;
    const job = oneShotJob(scope, 'Job', {
      name,
      labels: componentLabels(identity, name, 'job', image.tag),
      runAs: POSTGRES_USER,
      backoffLimit: 6,
      activeDeadline: Duration.minutes(30),
      placement,
      labelScope: scope,
    });
    const container = job.addContainer({
      name: 'init',
      image: imageRef,
      imagePullPolicy: pullPolicy(image),
      command: ['/bin/sh', POSTGRES_PATHS.initScript],
      envVariables: {
        PGHOST: kplus.EnvValue.fromValue(host),
        PGPORT: kplus.EnvValue.fromValue(String(POSTGRES_PORT)),
        PGUSER: kplus.EnvValue.fromValue('postgres'),
        PGPASSWORD: kplus.EnvValue.fromSecretValue({ secret, key: 'postgres-password' }),
        [MISTRAL_DB_PASSWORD_ENV]: kplus.EnvValue.fromSecretValue({ secret, key: 'password' }),
      },
      resources: toContainerResources(RESOURCE_PRESETS.tiny, `${setting}.init`),
      securityContext: containerSecurity(POSTGRES_USER),
    });
    container.mount(POSTGRES_PATHS.configDir, kplus.Volume.fromConfigMap(scope, 'ConfigVolume', this.configMap, { name: 'config' }), { readOnly: true });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(scope, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(16) }));
    return job;
  }
}

/** `pg_isready` against a host or socket directory: exit 0 only when connections are accepted. */
function pgIsReady(host: string, periodSeconds: number, failureThreshold: number): kplus.Probe {
  return kplus.Probe.fromCommand(['pg_isready', '-q', '-h', host, '-p', String(POSTGRES_PORT), '-U', 'postgres', '-d', 'postgres', '-t', '3'], {
    periodSeconds: Duration.seconds(periodSeconds),
    failureThreshold,
    timeoutSeconds: Duration.seconds(5),
  });
}

/** Throws unless `mode` is a known PostgreSQL mode. */
export function checkPostgresMode(settings: PostgresSettings | undefined, setting = 'mistral.postgresql'): 'in-cluster' | 'external' {
  const mode = settings?.mode ?? 'in-cluster';
  if (mode !== 'in-cluster' && mode !== 'external')
    throw new SettingError(`${setting}.mode`, `${JSON.stringify(mode)} is not a mode`, 'use in-cluster or external');
  return mode;
}
