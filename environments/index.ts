import { StackStormHaSettings } from '../lib';

/**
 * The environments `npm run synth` writes to dist/<name>/. Each is plain data: the same
 * settings a library user passes to `new StackStormHa(...)`.
 */
export const ENVIRONMENTS: Record<string, StackStormHaSettings> = {
  /** The reference HA deployment: the guide's architecture on current StackStorm. */
  ha: {
    namespace: 'stackstorm',
    publicUrl: 'https://stackstorm.example.com',
    st2: {
      // Four sensor partitions over st2's hash space; add more by raising the count.
      sensorContainer: { partitioning: { mode: 'hash', partitions: 4 } },
      garbageCollector: { ttl: { actionExecutionsDays: 30, actionExecutionsOutputDays: 7, triggerInstancesDays: 30, tracesDays: 30, tokensDays: 7 } },
    },
  },
  /**
   * `ha` with a ZooKeeper ensemble instead of Redis Sentinel for coordination. st2's images
   * do not ship the kazoo client: use images with kazoo installed in st2's virtualenv.
   */
  'ha-zookeeper': {
    namespace: 'stackstorm',
    publicUrl: 'https://stackstorm.example.com',
    datastores: { coordination: { backend: 'zookeeper' } },
  },
  /** One replica of everything and no coordination backend: a laptop cluster, not HA. */
  dev: {
    namespace: 'stackstorm-dev',
    publicUrl: 'https://stackstorm.localhost',
    datastores: { coordination: { backend: 'none' } },
    st2: {
      api: { replicas: 1 },
      auth: { replicas: 1 },
      stream: { replicas: 1 },
      rulesEngine: { replicas: 1 },
      workflowEngine: { replicas: 1 },
      scheduler: { replicas: 1 },
      actionRunner: { replicas: 1 },
      notifier: { replicas: 1 },
    },
  },
};
