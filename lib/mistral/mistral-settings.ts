import type { ComponentSettings } from '../config/settings';
import type { PostgresSettings } from '../backing/postgres';

/** Mistral, the st2 2.x workflow service, and the PostgreSQL it keeps its state in. */
export interface MistralSettings {
  /** mistral-api: active-active behind a Service and the edge's `/mistral/`. @default 2 replicas, image `<release.registry>/mistral:<release.version>` */
  readonly api?: ComponentSettings;
  /** mistral-server (engine, executor, notifier): active-active. @default 2 replicas, image `<release.registry>/mistral:<release.version>` */
  readonly server?: ComponentSettings;
  /** PostgreSQL: one in-cluster server, or an external (managed, Patroni) cluster. @default in-cluster */
  readonly postgresql?: PostgresSettings;
}
