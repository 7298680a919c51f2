/**
 * Typed connection details that one component hands to another. A component never guesses
 * another's Service name: it receives one of these.
 */

/** A key inside an existing Kubernetes Secret. The Secret is created by the user, never by us. */
export interface SecretKeyRef {
  /** Name of the Secret in the deployment's namespace. */
  readonly name: string;
  /** Key inside the Secret. */
  readonly key: string;
}

/** Where st2 (and the jobs) find MongoDB. */
export interface MongoEndpoint {
  /** `host:port` of every replica-set member, in a stable order. */
  readonly hosts: readonly string[];
  /** Replica set name; omitted for a standalone server. */
  readonly replicaSet?: string;
  /** Database st2 uses. */
  readonly database: string;
  /** Database holding the user's credentials. */
  readonly authSource?: string;
  /** User st2 logs in as. */
  readonly username: string;
  /** Password of `username`. */
  readonly password: SecretKeyRef;
  /** Connect with TLS. */
  readonly tls?: boolean;
  /** Secret with the CA (`ca.crt`) the servers' certificates are checked against. @default the system CAs */
  readonly tlsCaSecret?: string;
}

/** Where st2 and Mistral find RabbitMQ. */
export interface RabbitMqEndpoint {
  /** `host:port` of every cluster node; kombu fails over between them in this order. */
  readonly hosts: readonly string[];
  /** Virtual host, without the leading slash ('' for the default `/`). */
  readonly vhost: string;
  /** User st2 logs in as. */
  readonly username: string;
  /** Password of `username`. */
  readonly password: SecretKeyRef;
}

/** A tooz coordination backend, or none. */
export interface CoordinationEndpoint {
  /** Which kind of backend the URL points at. */
  readonly backend: 'redis-sentinel' | 'zookeeper' | 'external' | 'none';
  /** tooz URL st2 uses for `[coordination] url`; undefined when `backend` is `none`. */
  readonly url?: string;
  /** `host:port` pairs a network policy must reach. */
  readonly hosts: readonly string[];
}

/** Where Mistral finds PostgreSQL (legacy topology). */
export interface PostgresEndpoint {
  /** `host:port` of the server. */
  readonly host: string;
  /** Database Mistral uses. */
  readonly database: string;
  /** Role Mistral logs in as. */
  readonly username: string;
  /** Password of `username`. */
  readonly password: SecretKeyRef;
}

/** `host:port` → host. */
export function hostOf(hostPort: string): string {
  const at = hostPort.lastIndexOf(':');
  return at < 0 ? hostPort : hostPort.slice(0, at);
}

/** `host:port` → port. */
export function portOf(hostPort: string, fallback: number): number {
  const at = hostPort.lastIndexOf(':');
  return at < 0 ? fallback : Number(hostPort.slice(at + 1));
}

/** A Kubernetes Service as a client inside the cluster reaches it. */
export interface ServiceEndpoint {
  /**
   * Fully qualified DNS name, e.g. `st2api.stackstorm.svc.cluster.local`. nginx's own
   * resolver applies no search domains, so a short name would never resolve.
   */
  readonly host: string;
  /** Service port. */
  readonly port: number;
}
