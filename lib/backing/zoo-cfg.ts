/**
 * Pure renderer of ZooKeeper's zoo.cfg for the tooz ensemble. The same function feeds the
 * ConfigMap and the real-server tests.
 */

/** Ports every member listens on; Services, probes and the server lines use these. */
export const ZOOKEEPER_PORTS = { client: 2181, quorum: 2888, election: 3888 } as const;

/** The four-letter words the probes use; ZooKeeper answers only whitelisted ones. */
export const ZOOKEEPER_4LW = ['ruok', 'srvr', 'mntr'] as const;

/** Input of {@link renderZooCfg}. */
export interface ZooCfgInput {
  /** Stable DNS names of the members by ordinal; member N gets server id N + 1. */
  readonly members: readonly string[];
  /** Directory of snapshots, transaction log and `myid`. */
  readonly dataDir: string;
  /** Milliseconds of one tick, ZooKeeper's unit of time. @default 2000 */
  readonly tickTime?: number;
  /** Ticks a follower may take to connect and sync to the leader. @default 10 */
  readonly initLimit?: number;
  /** Ticks a follower may lag behind the leader. @default 5 */
  readonly syncLimit?: number;
}

/** The `myid` of the member with this StatefulSet ordinal (ids start at 1). */
export function serverId(ordinal: number): number {
  return ordinal + 1;
}

export function renderZooCfg(input: ZooCfgInput): string {
  const { client, quorum, election } = ZOOKEEPER_PORTS;
  return (
    [
      '# ZooKeeper for tooz (StackStorm coordination); rendered by renderZooCfg.',
      `tickTime=${input.tickTime ?? 2000}`,
      `initLimit=${input.initLimit ?? 10}`,
      `syncLimit=${input.syncLimit ?? 5}`,
      `dataDir=${input.dataDir}`,
      `clientPort=${client}`,
      'maxClientCnxns=60',
      // An ensemble member never serves alone: a lone node would split the brain.
      'standaloneEnabled=false',
      // The HTTP admin server is not used (probes use four-letter words) and would take port 8080.
      'admin.enableServer=false',
      // The default whitelist is srvr only; the liveness probe asks ruok, operators mntr.
      `4lw.commands.whitelist=${ZOOKEEPER_4LW.join(',')}`,
      // tooz data is ephemeral: keep the disk from filling with old snapshots and logs.
      'autopurge.snapRetainCount=3',
      'autopurge.purgeInterval=1',
      ...input.members.map((host, ordinal) => `server.${serverId(ordinal)}=${host}:${quorum}:${election}`),
    ].join('\n') + '\n'
  );
}
