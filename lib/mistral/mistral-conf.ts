import { IniDocument, renderIni } from '../common/ini';
import { hostOf, PostgresEndpoint, portOf, RabbitMqEndpoint } from '../config/endpoints';
import { SECRET_ENV } from '../common/prepare-script';

export const MISTRAL_API_PORT = 8989;

/** Paths inside every Mistral container (the layout of st2 2.x's Mistral packages). */
export const MISTRAL_PATHS = {
  /** Mistral's virtualenv, with the st2mistral plugin installed into it. */
  bin: '/opt/stackstorm/mistral/bin',
  /** The ConfigMap: the template and the script that fills it in. */
  templateDir: '/etc/mistral-template',
  template: '/etc/mistral-template/mistral.conf.template',
  prepareScript: '/etc/mistral-template/prepare.py',
  /** A memory-backed emptyDir holding the filled-in file (it carries the passwords). */
  configDir: '/etc/mistral',
  config: '/etc/mistral/mistral.conf',
} as const;

/** Environment variable names the template refers to (`${NAME_URLQ}`: percent-encoded). */
export const MISTRAL_SECRET_ENV = {
  /** The same variable st2's pods use: Mistral logs in to RabbitMQ as st2's user. */
  rabbitPassword: SECRET_ENV.rabbitPassword,
  postgresPassword: 'MISTRAL_DB_PASSWORD',
} as const;

/** What mistral.conf is rendered from. */
export interface MistralConfInput {
  readonly rabbit: RabbitMqEndpoint;
  readonly postgres: PostgresEndpoint;
  /** `[api] port`. @default 8989 */
  readonly apiPort?: number;
  /** `[database] max_pool_size`: connections each process keeps. @default 25 */
  readonly maxPoolSize?: number;
}

/** `${VAR_URLQ}`: replaced at pod start by the percent-encoded Secret value. */
function placeholder(variable: string): string {
  return `\${${variable}_URLQ}`;
}

/**
 * oslo.messaging's transport URL with every RabbitMQ node, so Mistral fails over between
 * them: `rabbit://user:pw@host1:5672,user:pw@host2:5672/vhost`.
 */
export function mistralTransportUrl(rabbit: RabbitMqEndpoint): string {
  const user = encodeURIComponent(rabbit.username);
  const nodes = rabbit.hosts.map((host) => `${user}:${placeholder(MISTRAL_SECRET_ENV.rabbitPassword)}@${hostOf(host)}:${portOf(host, 5672)}`);
  return `rabbit://${nodes.join(',')}/${rabbit.vhost === '' ? '' : encodeURIComponent(rabbit.vhost)}`;
}

/** SQLAlchemy URL of Mistral's database, with the password left as a placeholder. */
export function mistralDatabaseUrl(postgres: PostgresEndpoint): string {
  return `postgresql+psycopg2://${encodeURIComponent(postgres.username)}:${placeholder(MISTRAL_SECRET_ENV.postgresPassword)}@${hostOf(postgres.host)}:${portOf(postgres.host, 5432)}/${encodeURIComponent(postgres.database)}`;
}

export function mistralConfDocument(input: MistralConfInput): IniDocument {
  return {
    DEFAULT: { transport_url: mistralTransportUrl(input.rabbit) },
    database: {
      connection: mistralDatabaseUrl(input.postgres),
      max_pool_size: input.maxPoolSize ?? 25,
    },
    // Bound on all interfaces in the pod; the Service and the edge are the way in.
    api: { host: '0.0.0.0', port: input.apiPort ?? MISTRAL_API_PORT },
    // st2 calls Mistral without Keystone tokens; the edge is the only way in from outside.
    pecan: { auth_enable: false },
  };
}

/**
 * The template of mistral.conf. It holds no secret: the pod's `prepare` step replaces the
 * `${..._URLQ}` placeholders with the Secret values and writes /etc/mistral/mistral.conf
 * into memory, the same mechanism as st2's secrets file.
 */
export function renderMistralConfTemplate(input: MistralConfInput): string {
  return renderIni(
    mistralConfDocument(input),
    'mistral.conf rendered by stackstorm-ha-cdk8s. The password placeholders are filled\nin from Kubernetes Secrets when a pod starts (no other dollar sign may appear here).',
  );
}
