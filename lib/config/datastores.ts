import { ResourceSettings } from '../common/resources';
import { ImageSettings, PlacementSettings } from '../common/workload';

/** A datastore that runs outside the cluster (the guide: "often in standalone clusters managed outside of StackStorm"). */
export interface ExternalSettings {
  /** `host:port` of every member, e.g. `mongo-a.example.com:27017`. */
  readonly hosts: readonly string[];
}

/** Settings shared by every in-cluster datastore. */
export interface InClusterSettings {
  /**
   * Members of the set; quorum systems need an odd number >= 3. @default 3
   * @asType integer
   * @minimum 1
   */
  readonly replicas?: number;
  /** Image override. @default the pinned official image */
  readonly image?: Partial<ImageSettings>;
  /** Container resources. @default sized for a small production deployment */
  readonly resources?: ResourceSettings;
  /** Size of each member's PersistentVolumeClaim. @default per datastore */
  readonly storageSize?: string;
  /** StorageClass of the claims. @default the cluster default */
  readonly storageClassName?: string;
  /** Where this workload's pods run, over the global `placement` key by key. @default the global placement */
  readonly placement?: PlacementSettings;
}

/** MongoDB, st2's database. */
export interface MongoDbSettings {
  /** `in-cluster` runs a replica set here; `external` only connects. @default 'in-cluster' */
  readonly mode?: 'in-cluster' | 'external';
  /** In-cluster replica set. */
  readonly inCluster?: InClusterSettings;
  /** External servers (required in external mode). */
  readonly external?: ExternalSettings & {
    /** Replica set name. @default none (a standalone server or mongos) */
    readonly replicaSet?: string;
    /** Connect with TLS. @default false */
    readonly tls?: boolean;
    /**
     * Secret whose key `ca.crt` is the CA that signed the servers' certificates (with `tls`):
     * st2 verifies them against it (`[database] tls_ca_file`). @default the images' system CAs
     */
    readonly tlsCaSecret?: string;
  };
  /** Replica set name of the in-cluster set (external mode: `external.replicaSet`). @default 'rs0' */
  readonly replicaSet?: string;
  /**
   * Database holding st2's user (`authSource`), in both modes; in-cluster, the user is
   * created there with its roles on `database`. @default the `database`
   */
  readonly authSource?: string;
  /** Database st2 uses. @default 'st2' */
  readonly database?: string;
  /** User st2 logs in as. @default 'st2' */
  readonly username?: string;
  /**
   * Secret with keys `password` (st2's user), and for in-cluster mode `root-password` and
   * `keyfile` (replica set member authentication). @default 'st2-mongodb'
   */
  readonly secretName?: string;
}

/** RabbitMQ, st2's message bus. */
export interface RabbitMqSettings {
  /** @default 'in-cluster' */
  readonly mode?: 'in-cluster' | 'external';
  readonly inCluster?: InClusterSettings;
  readonly external?: ExternalSettings;
  /** Virtual host. @default '' (the default vhost `/`) */
  readonly vhost?: string;
  /** User st2 logs in as. @default 'st2' */
  readonly username?: string;
  /**
   * Secret with keys `password` (st2's user) and, in-cluster, `erlang-cookie`.
   * @default 'st2-rabbitmq'
   */
  readonly secretName?: string;
}

/** The tooz coordination backend. */
export interface CoordinationSettings {
  /**
   * `redis-sentinel` or `zookeeper` run in-cluster; `external` takes a tooz URL; `none`
   * allows only single replicas of the processes that need locks.
   * @default 'redis-sentinel'
   */
  readonly backend?: 'redis-sentinel' | 'zookeeper' | 'external' | 'none';
  /** In-cluster Redis Sentinel or ZooKeeper. */
  readonly inCluster?: InClusterSettings;
  /** tooz URL for the external backend, e.g. `kazoo://zk-a:2181,zk-b:2181,zk-c:2181`. */
  readonly externalUrl?: string;
  /** Failover tuning of the in-cluster Redis Sentinel. @default down after 5 s, failover timeout 15 s */
  readonly sentinel?: SentinelSettings;
}

/** How fast Redis Sentinel fails over. */
export interface SentinelSettings {
  /**
   * Milliseconds without a reply before a sentinel deems the master down.
   * @default 5000
   * @asType integer
   * @minimum 1000
   * @maximum 600000
   */
  readonly downAfterMilliseconds?: number;
  /**
   * Milliseconds a failover may take before another sentinel may retry it.
   * @default 15000
   * @asType integer
   * @minimum 1000
   * @maximum 3600000
   */
  readonly failoverTimeoutMilliseconds?: number;
}

/** Every datastore of the deployment. */
export interface DatastoreSettings {
  readonly mongodb?: MongoDbSettings;
  readonly rabbitmq?: RabbitMqSettings;
  readonly coordination?: CoordinationSettings;
}
