import { fillTemplate } from '../common/template';
/**
 * Pure renderers for the RabbitMQ files: rabbitmq.conf, enabled_plugins, the definitions
 * loaded at boot, and the script that puts st2's password hash into those definitions
 * inside the pod. The construct and the real-server tests call the same functions.
 */

/** Ports a RabbitMQ node listens on. */
export const RABBITMQ_PORTS = {
  /** AMQP 0-9-1, what st2 (kombu) and Mistral (oslo.messaging) speak. */
  amqp: 5672,
  /** Erlang port mapper: peers ask it for the distribution port. */
  epmd: 4369,
  /** Erlang distribution (clustering, CLI tools): AMQP port + 20000. */
  dist: 25672,
} as const;

/** Paths inside the RabbitMQ pod; one place so mounts, config and scripts agree. */
export const RABBITMQ_PATHS = {
  /** The ConfigMap: rabbitmq.conf, enabled_plugins, the definitions template, the script. */
  configDir: '/etc/rabbitmq',
  configFile: '/etc/rabbitmq/rabbitmq.conf',
  enabledPlugins: '/etc/rabbitmq/enabled_plugins',
  definitionsTemplate: '/etc/rabbitmq/definitions.template.json',
  renderScript: '/etc/rabbitmq/render-definitions.sh',
  /** In-memory emptyDir holding the rendered definitions (they carry a password hash). */
  definitionsDir: '/etc/rabbitmq-definitions',
  definitionsFile: '/etc/rabbitmq-definitions/definitions.json',
  /** The user Secret, mounted only into the init container. */
  secretDir: '/etc/rabbitmq-secret',
  /** In-memory HOME: Erlang and the CLI tools read `$HOME/.erlang.cookie`. */
  home: '/home/rabbitmq',
  /** The PersistentVolumeClaim: Mnesia tables and message store. */
  dataDir: '/var/lib/rabbitmq',
  mnesiaBase: '/var/lib/rabbitmq/mnesia',
  logDir: '/var/log/rabbitmq',
} as const;

/** Keys the user's Secret must carry. */
export const RABBITMQ_SECRET_KEYS = {
  /** st2's AMQP password (the same key st2's own config reads). */
  password: 'password',
  /** Shared secret of the Erlang distribution; identical on every node. */
  erlangCookie: 'erlang-cookie',
} as const;

/** The env var the render script reads the password from. */
export const PASSWORD_ENV = 'RABBITMQ_ST2_PASSWORD';

/**
 * Stands in for st2's password hash in the definitions template (the ConfigMap); the
 * render script replaces it in the pod. Only base64 characters ever replace it.
 */
export const PASSWORD_HASH_PLACEHOLDER = '@ST2_PASSWORD_HASH@';

/**
 * The policy pattern. The guide says to mirror all queues; `.*` covers every queue st2
 * declares (st2.actionrunner.work, st2.trigger.watch.<uuid>, ...) and everything Mistral's
 * oslo.messaging declares (mistral_engine, mistral_executor, reply_<uuid>, fanout queues),
 * so no queue added by a future release is silently left on one node. Exclusive queues
 * match too, but RabbitMQ never mirrors those: they die with their connection anyway.
 */
export const MIRROR_POLICY_PATTERN = '.*';

/** The policy definition the guide asks for. */
export const MIRROR_POLICY_DEFINITION = {
  /** A replica on every node: losing any one node loses no queue and no message. */
  'ha-mode': 'all',
  /**
   * A node that (re)joins copies the queue's contents at once. With `manual`, a restarted
   * node holds only new messages until the old ones drain, so losing the master in that
   * window would lose them.
   */
  'ha-sync-mode': 'automatic',
} as const;

/** How the cluster reacts when the network splits it. */
export type PartitionHandling = 'pause_minority' | 'autoheal' | 'ignore';

/**
 * Picks `cluster_partition_handling` for a cluster of `nodes` (odd, >= 3). `pause_minority`:
 * nodes that see only a minority of the cluster stop serving, so clients reconnect to the
 * majority side and only one side ever accepts messages. With mirrored queues that is what
 * prevents silent loss: `autoheal` lets both sides accept messages and then throws away
 * the losing side's, `ignore` leaves queues diverged until an operator restarts nodes.
 * An odd cluster always has a majority side for a single split, which is why the construct
 * refuses even sizes; with 1 node there is nothing to partition.
 */
export function partitionHandlingFor(nodes: number): PartitionHandling {
  return nodes >= 3 ? 'pause_minority' : 'ignore';
}

/** Everything rabbitmq.conf is rendered from. */
export interface RabbitMqConfInput {
  /** Namespace the StatefulSet runs in (part of every node name). */
  readonly namespace: string;
  /** The cluster's DNS domain. @default 'cluster.local' */
  readonly clusterDomain?: string;
  /** Headless Service governing the StatefulSet; the discovery plugin reads its endpoints. */
  readonly headlessService: string;
  /** Cluster size; decides partition handling. */
  readonly nodes: number;
  /** Where the rendered definitions are in the pod. */
  readonly definitionsFile: string;
  /** The container's memory limit in bytes: RabbitMQ's watermark is a fraction of it. */
  readonly memoryLimitBytes: number;
  /** Disk space below which publishers are blocked, e.g. `1GB`. */
  readonly diskFreeLimit: string;
}

/** One setting with the reason it is there. */
type ConfLine = readonly [key: string, value: string | number | boolean, why?: string];

/** rabbitmq.conf (sysctl-style `key = value`), each non-obvious line explained. */
export function renderRabbitMqConf(input: RabbitMqConfInput): string {
  const lines: ConfLine[] = [
    ['listeners.tcp.default', RABBITMQ_PORTS.amqp],
    [
      'cluster_formation.peer_discovery_backend',
      'rabbit_peer_discovery_k8s',
      'Nodes find each other through the endpoints of the headless Service (publishNotReadyAddresses: a booting node is listed before it is ready).',
    ],
    ['cluster_formation.k8s.service_name', input.headlessService],
    ['cluster_formation.k8s.address_type', 'hostname', 'Node names use the stable member DNS names, not pod IPs that change on every restart.'],
    ['cluster_formation.k8s.hostname_suffix', `.${input.headlessService}.${input.namespace}.svc.${input.clusterDomain ?? 'cluster.local'}`],
    [
      'cluster_formation.node_cleanup.only_log_warning',
      true,
      'Never remove an absent node automatically: a rescheduled pod returns with the same name and volume.',
    ],
    [
      'cluster_partition_handling',
      partitionHandlingFor(input.nodes),
      'A minority side pauses instead of accepting messages that a later heal would discard (see partitionHandlingFor).',
    ],
    ['queue_master_locator', 'min-masters', 'Spread queue masters over the nodes instead of piling them on the first.'],
    [
      'load_definitions',
      input.definitionsFile,
      'Vhost, st2 user, permissions and the mirroring policy, imported at every boot (no default guest user is created).',
    ],
    [
      'total_memory_available_override_value',
      input.memoryLimitBytes,
      "The container limit, not the node's RAM: the watermark must trip before the kernel OOM-kills the pod.",
    ],
    ['vm_memory_high_watermark.relative', 0.4, 'Leaves headroom for Erlang garbage collection under the limit.'],
    ['disk_free_limit.absolute', input.diskFreeLimit],
    ['log.console', true, "Logs go to stdout for the cluster's log collector."],
    ['log.console.level', 'info'],
    ['log.file', false],
  ];
  const out: string[] = ['# rabbitmq.conf rendered by the RabbitMq construct; edit the settings, not this file.'];
  for (const [key, value, why] of lines) {
    if (why) out.push(`# ${why}`);
    out.push(`${key} = ${String(value)}`);
  }
  return out.join('\n') + '\n';
}

/** enabled_plugins: an Erlang list. Only the discovery plugin: no management UI to secure. */
export function renderEnabledPlugins(plugins: readonly string[] = ['rabbitmq_peer_discovery_k8s']): string {
  return `[${plugins.join(',')}].\n`;
}

/** What the definitions are made from. */
export interface RabbitMqDefinitionsInput {
  /** Virtual host st2 uses ('' means the default `/`). */
  readonly vhost: string;
  /** st2's user. */
  readonly username: string;
  /**
   * The user's password hash (base64 of salt + SHA-256(salt + password)).
   * @default PASSWORD_HASH_PLACEHOLDER, filled in by the render script in the pod
   */
  readonly passwordHash?: string;
  /** Add the guide's mirror-everything policy. @default true */
  readonly mirrorQueues?: boolean;
}

/** The definitions file as a JSON object (import format of `load_definitions`). */
export function rabbitMqDefinitions(input: RabbitMqDefinitionsInput): Record<string, unknown> {
  const vhost = input.vhost === '' ? '/' : input.vhost;
  return {
    users: [
      {
        name: input.username,
        password_hash: input.passwordHash ?? PASSWORD_HASH_PLACEHOLDER,
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        // st2 needs no management or monitoring rights: just AMQP on its vhost.
        tags: [],
      },
    ],
    vhosts: [{ name: vhost }],
    permissions: [{ user: input.username, vhost, configure: '.*', write: '.*', read: '.*' }],
    policies:
      (input.mirrorQueues ?? true)
        ? [
            {
              vhost,
              name: 'st2-mirror-all-queues',
              pattern: MIRROR_POLICY_PATTERN,
              'apply-to': 'queues',
              priority: 0,
              definition: { ...MIRROR_POLICY_DEFINITION },
            },
          ]
        : [],
  };
}

/**
 * The init step that makes the definitions usable: RabbitMQ's definitions carry a password
 * hash, never a password, and a hash of a secret is still secret material, so neither may
 * sit in a ConfigMap. This script reads the password from the env (a Secret key), computes
 * the hash RabbitMQ's `rabbit_password_hashing_sha256` expects (base64 of a 4-byte random
 * salt followed by SHA-256 of salt + UTF-8 password) and writes the definitions with it
 * into an in-memory emptyDir. Importing at every boot re-applies the Secret's password, so
 * rotating it is "update the Secret, restart the pods". Usage: `sh SCRIPT TEMPLATE OUTPUT`.
 */
export function renderDefinitionsScript(): string {
  return fillTemplate('lib/backing/scripts/rabbitmq-render-definitions.sh', {
    PASSWORD_ENV,
    PASSWORD_KEY: RABBITMQ_SECRET_KEYS.password,
    PASSWORD_HASH_PLACEHOLDER,
  });
}
