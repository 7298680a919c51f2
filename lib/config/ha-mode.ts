import { SettingError, requireInteger } from '../common/errors';
import { CoordinationEndpoint } from './endpoints';

/**
 * How a process may be replicated, as the HA guide describes it:
 * - `active-active`: any number of replicas share the work;
 * - `singleton`: exactly one may run (duplicates would repeat work: timers);
 * - `active-passive`: one runs, a replacement starts only after it stopped (chatops);
 * - `partitioned`: one pod per partition, each with its own share (sensors).
 */
export type HaMode = 'active-active' | 'singleton' | 'active-passive' | 'partitioned';

/** Checks a replica count against a process's HA mode and the coordination backend. */
export function checkReplicas(options: {
  readonly setting: string;
  readonly replicas: number;
  readonly mode: HaMode;
  /** More than one replica needs distributed locks (tooz). */
  readonly needsCoordination?: boolean;
  readonly coordination: CoordinationEndpoint;
}): void {
  const { setting, replicas, mode } = options;
  requireInteger(replicas, `${setting}.replicas`, 1);
  if ((mode === 'singleton' || mode === 'active-passive' || mode === 'partitioned') && replicas !== 1) {
    const why =
      mode === 'singleton'
        ? 'it is a singleton: a second copy would do the same work twice'
        : mode === 'active-passive'
          ? 'it is active-passive: two replicas would both write (never two writers)'
          : 'each partition is one pod; add partitions to scale out';
    throw new SettingError(`${setting}.replicas`, `${replicas} replicas, but ${why}`, 'set replicas to 1');
  }
  if (options.needsCoordination && replicas > 1 && options.coordination.backend === 'none') {
    throw new SettingError(
      `${setting}.replicas`,
      `${replicas} replicas with no coordination backend: without tooz locks, concurrency policies and workflow state race across replicas`,
      'set datastores.coordination.backend to redis-sentinel, zookeeper or external, or set replicas to 1',
    );
  }
}
