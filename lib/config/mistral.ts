import type { ResourceSettings } from '../common/resources';
import type { ImageSettings, PlacementSettings } from '../common/workload';
import type { ComponentSettings } from './component';

/** Mistral, the st2 2.x workflow service, and the PostgreSQL it keeps its state in. */
export interface MistralSettings {
  /** mistral-api: active-active behind a Service and the edge's `/mistral/`. @default 2 replicas, image `<release.registry>/mistral:<release.version>` */
  readonly api?: ComponentSettings;
  /** mistral-server (engine, executor, notifier): active-active. @default 2 replicas, image `<release.registry>/mistral:<release.version>` */
  readonly server?: ComponentSettings;
  /** PostgreSQL: one in-cluster server, or an external (managed, Patroni) cluster. @default in-cluster */
  readonly postgresql?: PostgresSettings;
}

/** Where Mistral's PostgreSQL runs, and who Mistral is there. */
export interface PostgresSettings {
  /**
   * `in-cluster` runs one PostgreSQL server here; `external` only connects (the role and
   * database must exist: create them with the SQL from lib/backing/postgres-conf.ts).
   * @default 'in-cluster'
   */
  readonly mode?: 'in-cluster' | 'external';
  readonly inCluster?: PostgresInClusterSettings;
  readonly external?: PostgresExternalSettings;
  /** Mistral's database. @default 'mistral' */
  readonly database?: string;
  /** Mistral's role. @default 'mistral' */
  readonly username?: string;
  /**
   * Secret with key `password` (Mistral's role) and, in-cluster, `postgres-password` (the
   * superuser, which only the init Job uses). @default 'st2-postgresql'
   */
  readonly secretName?: string;
}

/** PostgreSQL run here: one server with its own claim. */
export interface PostgresInClusterSettings {
  /** Image fields to override. @default docker.io/library/postgres:15.13 */
  readonly image?: Partial<ImageSettings>;
  /** Container resources; a quarter of the memory limit becomes shared_buffers. @default 100m / 256Mi, limit 1Gi */
  readonly resources?: ResourceSettings;
  /** Size of the PersistentVolumeClaim. @default '8Gi' */
  readonly storageSize?: string;
  /** StorageClass of the claim. @default the cluster default */
  readonly storageClassName?: string;
  /** Where this workload's pods run, over the global `placement` key by key. @default the global placement */
  readonly placement?: PlacementSettings;
  /**
   * Networks pg_hba.conf accepts password logins from (the pod CIDRs). A NetworkPolicy is
   * the finer guard; the role still needs its password from anywhere.
   * @default ['0.0.0.0/0', '::/0']
   */
  readonly clientCidrs?: readonly string[];
  /**
   * `max_connections`: each Mistral process keeps a pool of connections.
   * @default 200
   * @asType integer
   * @minimum 20
   */
  readonly maxConnections?: number;
}

/** A PostgreSQL run elsewhere (a managed service, a Patroni cluster). */
export interface PostgresExternalSettings {
  /** `host:port` of the server or of the cluster's primary endpoint, e.g. `pg.example.com:5432`. */
  readonly host: string;
}
