import { fillTemplate } from '../common/template';
/**
 * Pure renderers for the Redis Sentinel set that backs tooz: one redis.conf and one
 * sentinel.conf per member, and the bootstrap script that picks the current master when a
 * pod (re)starts. The same functions feed the ConfigMap and the real-server tests.
 */

/** Ports of one member; the Kubernetes Services and the probes use the same numbers. */
export const REDIS_PORTS = { redis: 6379, sentinel: 26379 } as const;

/** One member's redis.conf. */
export interface RedisConfInput {
  /** Stable DNS name of this member: what it announces to the master and the sentinels. */
  readonly self: string;
  /** DNS name of the member it replicates from; undefined for the initial master. */
  readonly replicaOf?: string;
  /** Memory Redis may use for data before it refuses writes, in MiB. */
  readonly maxMemoryMiB: number;
}

/**
 * redis.conf for one member. Memory only: tooz keeps locks, group membership and heartbeats
 * that its clients re-create after a restart, so persistence would only slow failover down.
 */
export function renderRedisConf(input: RedisConfInput): string {
  const lines = [
    '# Redis for tooz (StackStorm coordination); rendered by renderRedisConf.',
    `port ${REDIS_PORTS.redis}`,
    // The pod's own IP is its only non-loopback address; IPv6 is optional (the '-').
    'bind * -::*',
    // Reached only inside the namespace (network policy); no password is configured.
    'protected-mode no',
    // Coordination state is rebuilt by the clients: no RDB, no AOF.
    'save ""',
    'appendonly no',
    // A replica catches up from a socket stream at once instead of waiting for more replicas.
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
    // Peers and sentinels must reach us by the stable name, not by the pod IP that changes.
    `replica-announce-ip ${input.self}`,
    `maxmemory ${input.maxMemoryMiB}mb`,
    // tooz keys carry TTLs; evicting those closest to expiry is the least harmful choice.
    'maxmemory-policy volatile-ttl',
  ];
  if (input.replicaOf) lines.push(`replicaof ${input.replicaOf} ${REDIS_PORTS.redis}`);
  return lines.join('\n') + '\n';
}

/** One member's sentinel.conf. */
export interface SentinelConfInput {
  /** Stable DNS name of this member, announced to the other sentinels. */
  readonly self: string;
  /** Name of the monitored master (tooz's `sentinel=` parameter). */
  readonly masterName: string;
  /** DNS name of the initial master (the bootstrap script swaps in the current one). */
  readonly master: string;
  /** Sentinels that must agree the master is down: a majority of the members. */
  readonly quorum: number;
  /** Milliseconds without a valid reply before a sentinel thinks the master is down. */
  readonly downAfterMilliseconds: number;
  /** Milliseconds a failover may take before another sentinel retries it. */
  readonly failoverTimeoutMilliseconds: number;
}

/**
 * sentinel.conf for one member. Sentinel rewrites this file as it learns the set, so pods
 * start it from a writable copy. `resolve-hostnames` must precede `sentinel monitor`, or a
 * monitor naming a hostname is fatal at start.
 */
export function renderSentinelConf(input: SentinelConfInput): string {
  return (
    [
      '# Redis Sentinel for tooz (StackStorm coordination); rendered by renderSentinelConf.',
      `port ${REDIS_PORTS.sentinel}`,
      'bind * -::*',
      'protected-mode no',
      'sentinel resolve-hostnames yes',
      // Answer clients (tooz) and peers with stable names, never with pod IPs.
      'sentinel announce-hostnames yes',
      `sentinel announce-ip ${input.self}`,
      `sentinel monitor ${input.masterName} ${input.master} ${REDIS_PORTS.redis} ${input.quorum}`,
      `sentinel down-after-milliseconds ${input.masterName} ${input.downAfterMilliseconds}`,
      `sentinel failover-timeout ${input.masterName} ${input.failoverTimeoutMilliseconds}`,
      // One replica resyncs at a time, so the other keeps serving reads during a failover.
      `sentinel parallel-syncs ${input.masterName} 1`,
    ].join('\n') + '\n'
  );
}

/** Input of {@link renderRedisBootstrap}. */
export interface RedisBootstrapInput {
  /** Stable DNS names of every member, by ordinal (member 0 is the initial master). */
  readonly members: readonly string[];
  /** Name of the monitored master. */
  readonly masterName: string;
  /** Sentinel quorum, written back into the `sentinel monitor` line. */
  readonly quorum: number;
  /**
   * How long a pod the sentinels still name as master, with no data while other members run,
   * waits for them to promote another before it gives up (and the kubelet retries): longer
   * than down-after plus the failover timeout.
   */
  readonly promotionWaitSeconds: number;
}

/** Input of {@link renderRedisPreStop}. */
export interface RedisPreStopInput {
  /** Stable DNS names of every member. */
  readonly members: readonly string[];
  readonly masterName: string;
  /** How long a stopping master waits for the sentinels to name another; below the grace period. */
  readonly handoverSeconds: number;
}

/**
 * The preStop hook of the redis container: a master asks a sentinel to fail over and waits,
 * bounded, until the sentinels name another member, so a routine restart (rolling update,
 * eviction) hands the data over instead of coming back as an empty master.
 */
export function renderRedisPreStop(input: RedisPreStopInput): string {
  return fillTemplate('lib/backing/scripts/redis-prestop.sh', {
    MEMBERS: input.members.join(' '),
    MASTER_NAME: input.masterName,
    HANDOVER_SECONDS: input.handoverSeconds,
    REDIS_PORT: REDIS_PORTS.redis,
    SENTINEL_PORT: REDIS_PORTS.sentinel,
  });
}

/**
 * The init script of every pod (POSIX sh, run from the redis image). Usage:
 * `sh bootstrap.sh CONFIG_DIR LIVE_DIR` with `HOSTNAME` set to the pod name (`redis-N`).
 *
 * A restarted pod must not assume it is the master: after a failover another member is.
 * It asks each sentinel for the current master and starts as its replica (or as master, if
 * the sentinels name this pod). Only when no sentinel answers, i.e. on a fresh start of the
 * whole set, does it use the rendered files, where member 0 is the master.
 */
export function renderRedisBootstrap(input: RedisBootstrapInput): string {
  return fillTemplate('lib/backing/scripts/redis-bootstrap.sh', {
    MEMBERS: input.members.join(' '),
    FIRST_MEMBER: input.members[0],
    MASTER_NAME: input.masterName,
    QUORUM: input.quorum,
    PROMOTION_WAIT_SECONDS: input.promotionWaitSeconds,
    REDIS_PORT: REDIS_PORTS.redis,
    SENTINEL_PORT: REDIS_PORTS.sentinel,
  });
}
