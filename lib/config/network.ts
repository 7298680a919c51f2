/** A port (or port range) of a NetworkPolicy rule. */
export interface NetworkPort {
  /**
   * Port number; with `endPort` the first of a range.
   * @asType integer
   * @minimum 1
   * @maximum 65535
   */
  readonly port: number;
  /**
   * Last port of a range. @default a single port
   * @asType integer
   * @minimum 1
   * @maximum 65535
   */
  readonly endPort?: number;
  /** @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP';
}

/** A datastore's ports: what clients connect to and what its members reach each other on. */
export interface DatastorePorts {
  readonly client: readonly number[];
  readonly peer: readonly number[];
}

/**
 * The ports every component serves, handed to the NetworkPolicies by StackStormHa (the one
 * place that knows every component), so the policy layer reads no component's constants.
 */
export interface ComponentPorts {
  readonly st2api: number;
  readonly st2auth: number;
  readonly st2stream: number;
  readonly st2web: number;
  readonly mistralApi: number;
  readonly mongodb: DatastorePorts;
  readonly rabbitmq: DatastorePorts;
  readonly redisSentinel: DatastorePorts;
  readonly zookeeper: DatastorePorts;
  readonly postgresql: DatastorePorts;
  /** The edge's ports for plain HTTP and for TLS. */
  readonly edge: { readonly http: number; readonly https: number };
}
