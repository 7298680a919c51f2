import { IniDocument, mergeIni, renderIni } from '../common/ini';
import { CoordinationEndpoint, MongoEndpoint, RabbitMqEndpoint, SecretKeyRef } from '../config/endpoints';
import { SECRET_ENV } from '../common/prepare-script';
import { GarbageCollectionTtls } from '../config/st2';

/** Paths inside every st2 container; one place so mounts and config agree. */
export const ST2_PATHS = {
  /** Shipped by the image; its defaults are the first layer. */
  imageConfig: '/etc/st2/st2.conf',
  /** Shipped by the st2 images: logging to stdout. */
  imageDockerConfig: '/etc/st2/st2.docker.conf',
  /** Ours: the shared ConfigMap. */
  sharedDir: '/etc/st2/shared',
  sharedConfig: '/etc/st2/shared/st2.conf',
  secretsTemplate: '/etc/st2/shared/st2.secrets.conf.template',
  prepareScript: '/etc/st2/shared/prepare.py',
  /** Ours: one process's own settings. */
  overridesDir: '/etc/st2/overrides',
  /** The external MongoDB's CA (`datastores.mongodb.external.tlsCaSecret`, key ca.crt). */
  mongoCaDir: '/etc/st2/mongodb-ca',
  secretsDir: '/etc/st2/secrets',
  secretsConfig: '/etc/st2/secrets/st2.secrets.conf',
  keysDir: '/etc/st2/keys',
  datastoreKey: '/etc/st2/keys/datastore_key.json',
  /**
   * A folder the images do not have: the images ship /etc/st2/htpasswd as an (empty) file,
   * and a Secret volume is a folder, which the runtime refuses to mount onto a file.
   */
  htpasswdDir: '/etc/st2/auth',
  htpasswd: '/etc/st2/auth/htpasswd',
  sshDir: '/home/stanley/.ssh',
  sshKey: '/home/stanley/.ssh/stanley_rsa',
  /** Where the ssh key Secret is mounted before a root step installs it into sshDir, owned by stanley. */
  sshKeySecretDir: '/etc/st2/ssh-key',
  /** Where seed steps mount a content volume, so they still see the image's own packs. */
  seedPacks: '/content/packs',
  packs: '/opt/stackstorm/packs',
  virtualenvs: '/opt/stackstorm/virtualenvs',
  packConfigs: '/opt/stackstorm/configs',
  systemPacks: '/opt/stackstorm/packs',
  bin: '/opt/stackstorm/st2/bin',
  python: '/opt/stackstorm/st2/bin/python',
} as const;

/** Everything st2.conf is rendered from. */
export interface St2ConfInput {
  readonly mongo: MongoEndpoint;
  readonly rabbit: RabbitMqEndpoint;
  readonly coordination: CoordinationEndpoint;
  /**
   * URL of st2api as st2's own processes, actions and sensors reach it (`ST2_API_URL`): the
   * in-cluster Service, e.g. http://st2api.stackstorm.svc.cluster.local:9101.
   */
  readonly apiUrl: string;
  /** Public base URL of the whole deployment: CORS, and the links in notifications. */
  readonly webUrl: string;
  /** Turn st2 authentication on. */
  readonly authEnabled: boolean;
  /** Turn RBAC on (needs RBAC definitions loaded by the jobs). */
  readonly rbacEnabled: boolean;
  /** `[rbac] sync_remote_groups`: group mappings exist. @default false */
  readonly rbacSyncRemoteGroups?: boolean;
  /** System user actions run as over ssh. */
  readonly systemUser: string;
  /**
   * `[actionrunner] exit_still_active_check` in seconds: how long a stopping runner waits
   * for its running actions. @default none: the release has no graceful shutdown (st2 2.x)
   */
  readonly actionRunnerDrainSeconds?: number;
  /** `[workflow_engine] exit_still_active_check` in seconds (st2 3.8+). */
  readonly workflowEngineDrainSeconds?: number;
  /** `[stream] heartbeat` in seconds. */
  readonly streamHeartbeatSeconds: number;
  /** Where timers run: the 3.x timers engine, or inside the 2.x rules engine. */
  readonly timersIn: 'timersengine' | 'rulesengine';
  /** GC TTLs; absent means the collector is not deployed. */
  readonly garbageCollection?: GarbageCollectionTtls;
  /** Mistral callback settings (legacy topology only). */
  readonly mistral?: { readonly v2BaseUrl: string; readonly apiUrl: string };
  /**
   * The authentication backend: `[auth] backend` and its non-secret `backend_kwargs`; the
   * kwargs whose values come from Secrets are named by the environment variable st2auth's
   * prepare step reads them from. @default flat_file with the htpasswd Secret
   */
  readonly auth?: St2AuthBackend;
  /** Origins besides `webUrl` for `[api] allow_origin`. @default none */
  readonly allowOrigins?: readonly string[];
  /** Free-form additions, merged last (operators' escape hatch). */
  readonly extra?: IniDocument;
}

/** An authentication backend as st2.conf names it. */
export interface St2AuthBackend {
  readonly backend: string;
  readonly kwargs: Readonly<Record<string, string | number | boolean | readonly string[]>>;
  /** kwarg -> environment variable holding its value (from a Secret). */
  readonly secretKwargs: Readonly<Record<string, string>>;
  /** kwarg -> the Secret key its variable is read from. */
  readonly secretRefs: Readonly<Record<string, SecretKeyRef>>;
}

/**
 * `backend_kwargs` as one line of JSON, in the `{"key": value, ...}` layout st2's own docs
 * use. `dollar` writes a literal `$` for the file it goes into: `$$` for oslo.config, `$$$$`
 * in a template the prepare step fills (Python's string.Template halves it first).
 */
export function backendKwargsJson(
  kwargs: Readonly<Record<string, string | number | boolean | readonly string[]>>,
  dollar: string,
  secretPlaceholders: Readonly<Record<string, string>> = {},
): string {
  const entries = Object.entries(kwargs).map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value).replace(/\$/g, dollar)}`);
  for (const [key, placeholder] of Object.entries(secretPlaceholders)) entries.push(`${JSON.stringify(key)}: "${placeholder}"`);
  return `{${entries.join(', ')}}`;
}

/** `mongodb://` URI for `[database] host` (credentials go to the secrets file). */
export function mongoUri(mongo: MongoEndpoint): string {
  const query: string[] = [];
  if (mongo.replicaSet) query.push(`replicaSet=${encodeURIComponent(mongo.replicaSet)}`);
  if (mongo.authSource) query.push(`authSource=${encodeURIComponent(mongo.authSource)}`);
  if (mongo.tls) query.push('tls=true');
  return `mongodb://${mongo.hosts.join(',')}/${encodeURIComponent(mongo.database)}${query.length ? `?${query.join('&')}` : ''}`;
}

/**
 * The non-secret st2.conf, shared by every st2 process. Per-process settings (sensor
 * partitions, timers on one rules engine) are layered on with another `--config-file`.
 */
export function st2ConfDocument(input: St2ConfInput): IniDocument {
  const gc = input.garbageCollection;
  const document: IniDocument = {
    api: {
      // Behind the edge, which terminates TLS; st2api speaks plain HTTP in the pod network.
      allow_origin: input.allowOrigins && input.allowOrigins.length > 0 ? [input.webUrl, ...input.allowOrigins] : input.webUrl,
    },
    auth: {
      enable: input.authEnabled,
      mode: 'standalone',
      backend: input.auth?.backend ?? 'flat_file',
      backend_kwargs:
        (input.auth?.backend ?? 'flat_file') === 'flat_file'
          ? backendKwargsJson({ file_path: ST2_PATHS.htpasswd }, '$$')
          : Object.keys(input.auth!.kwargs).length > 0
            ? backendKwargsJson(input.auth!.kwargs, '$$')
            : undefined,
      api_url: input.apiUrl,
    },
    webui: { webui_base_url: input.webUrl },
    rbac: {
      enable: input.rbacEnabled,
      backend: input.rbacEnabled ? 'default' : undefined,
      // Roles follow the user's LDAP groups through st2.rbac.groupMappings.
      sync_remote_groups: input.rbacSyncRemoteGroups ? true : undefined,
    },
    database: {
      host: mongoUri(input.mongo),
      db_name: input.mongo.database,
      username: input.mongo.username,
      tls_ca_file: input.mongo.tlsCaSecret ? `${ST2_PATHS.mongoCaDir}/ca.crt` : undefined,
    },
    messaging: {
      // Exit on a lost broker so Kubernetes restarts the process; kombu still fails over
      // between the cluster_urls (in the secrets file) while the broker set is healthy.
      connection_retries: 3,
      connection_retry_wait: 10000,
    },
    // Always set: the images' own st2.conf names redis on 127.0.0.1, and an empty url is
    // tooz's no-op driver (backend none).
    coordination: { url: input.coordination.url ?? '' },
    content: {
      packs_base_paths: ST2_PATHS.packs,
      system_packs_base_path: ST2_PATHS.systemPacks,
    },
    system_user: { user: input.systemUser, ssh_key_file: ST2_PATHS.sshKey },
    keyvalue: { encryption_key_path: ST2_PATHS.datastoreKey },
    actionrunner:
      input.actionRunnerDrainSeconds === undefined
        ? {}
        : {
            graceful_shutdown: true,
            exit_still_active_check: input.actionRunnerDrainSeconds,
            still_active_check_interval: 2,
          },
    workflow_engine:
      input.workflowEngineDrainSeconds === undefined
        ? {}
        : {
            exit_still_active_check: input.workflowEngineDrainSeconds,
          },
    stream: { heartbeat: input.streamHeartbeatSeconds },
    timersengine: input.timersIn === 'timersengine' ? { enable: true, local_timezone: 'UTC' } : {},
    // 2.x: timers are off in st2.conf and switched on for exactly one rules engine by its
    // own overrides file (see St2RulesEngine).
    timer: input.timersIn === 'rulesengine' ? { enable: false, local_timezone: 'UTC' } : {},
    garbagecollector: gc
      ? {
          collection_interval: 600,
          action_executions_ttl: gc.actionExecutionsDays,
          action_executions_output_ttl: gc.actionExecutionsOutputDays,
          trigger_instances_ttl: gc.triggerInstancesDays,
          traces_ttl: gc.tracesDays,
          rule_enforcements_ttl: gc.ruleEnforcementsDays,
          workflow_executions_ttl: gc.workflowExecutionsDays,
          task_executions_ttl: gc.taskExecutionsDays,
          tokens_ttl: gc.tokensDays,
        }
      : {},
    mistral: input.mistral ? { v2_base_url: input.mistral.v2BaseUrl, api_url: input.mistral.apiUrl } : {},
  };
  return mergeIni(document, input.extra);
}

export function renderSt2Conf(input: St2ConfInput): string {
  return renderIni(
    st2ConfDocument(input),
    'st2.conf rendered by stackstorm-ha-cdk8s. Credentials are not here:\nsee st2.secrets.conf, written at pod start from Kubernetes Secrets.',
  );
}

/**
 * The template of st2.secrets.conf: `${VAR}` is replaced by the Secret value in the pod,
 * `${VAR_URLQ}` by its percent-encoded form (for passwords inside URLs).
 */
export function st2SecretsTemplate(input: Pick<St2ConfInput, 'mongo' | 'rabbit'>): string {
  return renderIni(secretsDocument(input));
}

function secretsDocument(input: Pick<St2ConfInput, 'mongo' | 'rabbit'>): IniDocument {
  const vhost = input.rabbit.vhost === '' ? '' : encodeURIComponent(input.rabbit.vhost);
  const user = encodeURIComponent(input.rabbit.username);
  const urls = input.rabbit.hosts.map((host) => `amqp://${user}:\${${SECRET_ENV.rabbitPassword}_URLQ}@${host}/${vhost}`);
  return {
    database: { password: `\${${SECRET_ENV.mongoPassword}}` },
    messaging: { cluster_urls: urls },
  };
}

/**
 * st2auth's secrets template, when backend kwargs come from Secrets: the shared one plus the
 * whole `[auth] backend_kwargs`, because oslo.config cannot merge one JSON option from two
 * files. The prepare step fills `${VAR_JSON}` with the value escaped for a JSON string.
 */
export function st2AuthSecretsTemplate(input: Pick<St2ConfInput, 'mongo' | 'rabbit'> & { readonly auth: St2AuthBackend }): string {
  const placeholders = Object.fromEntries(Object.entries(input.auth.secretKwargs).map(([key, variable]) => [key, `\${${variable}_JSON}`]));
  return renderIni({ ...secretsDocument(input), auth: { backend_kwargs: backendKwargsJson(input.auth.kwargs, '$$$$', placeholders) } });
}

/** File name of st2auth's secrets template in the shared ConfigMap. */
export const ST2AUTH_SECRETS_TEMPLATE = 'st2auth.secrets.conf.template';
