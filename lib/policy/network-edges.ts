import { IConstruct } from 'constructs';
import { check } from '../common/errors';
import { CoordinationEndpoint, MongoEndpoint, PostgresEndpoint, portOf, RabbitMqEndpoint } from '../config/endpoints';
import { NetworkPolicySettings } from '../config/settings';
import type { NginxSettings } from '../config/edge';
import { checkCidrs, checkPorts, NetworkEdge, NetworkPeer, PodGroup, podGroupsOf } from './network-policy';
import { ComponentPorts, NetworkPort } from '../config/network';

/** A datastore as its clients and members reach it. */
export interface DatastorePods {
  /** Members (StatefulSet pods); empty when the datastore is external. */
  readonly members: readonly PodGroup[];
  /** The datastore's own Jobs (e.g. `mongodb-init`): clients of the members. */
  readonly jobs: readonly PodGroup[];
  /** Ports clients connect to (for an external datastore: the ports of its `host:port`s). */
  readonly clientPorts: readonly NetworkPort[];
  /** Ports members connect to each other on (replication, quorum, clustering). */
  readonly peerPorts: readonly NetworkPort[];
  /** The members call the Kubernetes API (RabbitMQ peer discovery). @default false */
  readonly needsKubernetesApi?: boolean;
}

/** An HTTP service behind the edge: its pods and port. */
export interface ServicePods {
  readonly pods: readonly PodGroup[];
  readonly port: number;
}

/** The deployment's pods, sorted by the part they play in the guide's picture. */
export interface DeploymentNetwork {
  /** The Python st2 processes and st2's Jobs: clients of MongoDB, RabbitMQ, coordination and the API. */
  readonly st2: readonly PodGroup[];
  /** st2chatops: a client of st2api, st2auth and st2stream only. */
  readonly chatops: readonly PodGroup[];
  /** The st2client pod: the st2 CLI, a client of st2api, st2auth and st2stream only. */
  readonly client: readonly PodGroup[];
  /** The post-deploy smoke test: a client of st2api, st2auth and st2stream only. */
  readonly smokeTest: readonly PodGroup[];
  /** Processes that automate other systems and get egress beyond the cluster. */
  readonly automation: readonly PodGroup[];
  readonly api: ServicePods;
  readonly auth: ServicePods;
  readonly stream: ServicePods;
  readonly web: ServicePods;
  /** mistral-api (2.x-mistral), routed by the edge. */
  readonly mistralApi: ServicePods;
  /** mistral-api and mistral-server: clients of PostgreSQL, RabbitMQ and st2api. */
  readonly mistral: readonly PodGroup[];
  /** Mistral's schema Job: a client of PostgreSQL only. */
  readonly mistralJobs: readonly PodGroup[];
  /** The nginx edge and the ports clients reach it on. */
  readonly edge: { readonly pods: readonly PodGroup[]; readonly ports: readonly NetworkPort[] };
  /** Where clients come from: anywhere, or the load balancer's source ranges. */
  readonly clients: NetworkPeer;
  /** Where st2auth's authentication backend (LDAP) listens; undefined for flat_file. */
  readonly authBackendPorts?: readonly NetworkPort[];
  readonly mongodb: DatastorePods;
  readonly rabbitmq: DatastorePods;
  /** The coordination backend; undefined for `none`. */
  readonly coordination?: DatastorePods;
  /** Mistral's PostgreSQL (2.x-mistral). */
  readonly postgresql?: DatastorePods;
}

export const DNS_PORTS: readonly NetworkPort[] = [
  { port: 53, protocol: 'UDP' },
  { port: 53, protocol: 'TCP' },
];
export const KUBERNETES_API_DEFAULT_PORTS: readonly NetworkPort[] = [{ port: 443 }, { port: 6443 }];
export const ANYWHERE_V4_V6: readonly string[] = ['0.0.0.0/0', '::/0'];

/** {@link NetworkPolicySettings} checked and completed with defaults. */
export interface ResolvedNetworkPolicySettings {
  readonly automationCidrs: readonly string[];
  /** Undefined: every port. */
  readonly automationPorts?: readonly NetworkPort[];
  readonly kubernetesApiCidrs: readonly string[];
  readonly kubernetesApiPorts: readonly NetworkPort[];
  readonly externalDatastoreCidrs: readonly string[];
  readonly authBackendCidrs: readonly string[];
  readonly dnsNamespace: string;
}

/** Checks `networkPolicy` settings (SettingError on the first invalid one) and fills in defaults. */
export function resolveNetworkPolicySettings(settings: NetworkPolicySettings = {}): ResolvedNetworkPolicySettings {
  const automationCidrs = settings.automationEgress?.cidrs ?? ANYWHERE_V4_V6;
  checkCidrs(automationCidrs, 'networkPolicy.automationEgress.cidrs');
  const automationPorts = settings.automationEgress?.ports;
  if (automationPorts) {
    check(
      automationPorts.length > 0,
      'networkPolicy.automationEgress.ports',
      'an empty list would allow no port at all',
      'list the ports automation needs, or leave the setting out for every port',
    );
    checkPorts(automationPorts, 'networkPolicy.automationEgress.ports');
  }
  const kubernetesApiCidrs = settings.kubernetesApi?.cidrs ?? ['0.0.0.0/0'];
  checkCidrs(kubernetesApiCidrs, 'networkPolicy.kubernetesApi.cidrs');
  const kubernetesApiPorts = settings.kubernetesApi?.ports ?? KUBERNETES_API_DEFAULT_PORTS;
  check(kubernetesApiPorts.length > 0, 'networkPolicy.kubernetesApi.ports', 'no port given', 'list the API server ports, e.g. 443 and 6443');
  checkPorts(kubernetesApiPorts, 'networkPolicy.kubernetesApi.ports');
  const externalDatastoreCidrs = settings.externalDatastoreCidrs ?? ['0.0.0.0/0'];
  checkCidrs(externalDatastoreCidrs, 'networkPolicy.externalDatastoreCidrs');
  const dnsNamespace = settings.dnsNamespace ?? 'kube-system';
  check(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(dnsNamespace),
    'networkPolicy.dnsNamespace',
    `${JSON.stringify(dnsNamespace)} is not a namespace name`,
    'name the namespace of the cluster DNS, e.g. kube-system',
  );
  const authBackendCidrs = settings.authBackendCidrs ?? ANYWHERE_V4_V6;
  checkCidrs(authBackendCidrs, 'networkPolicy.authBackendCidrs');
  return { automationCidrs, automationPorts, kubernetesApiCidrs, kubernetesApiPorts, externalDatastoreCidrs, authBackendCidrs, dnsNamespace };
}

/** Every pod group of the deployment, each once. */
export function networkGroups(net: DeploymentNetwork): PodGroup[] {
  const datastores = [net.mongodb, net.rabbitmq, net.coordination, net.postgresql].flatMap((d) => (d ? [...d.members, ...d.jobs] : []));
  const all = [
    ...net.st2,
    ...net.chatops,
    ...net.client,
    ...net.smokeTest,
    ...net.automation,
    ...net.api.pods,
    ...net.auth.pods,
    ...net.stream.pods,
    ...net.web.pods,
    ...net.mistralApi.pods,
    ...net.mistral,
    ...net.mistralJobs,
    ...net.edge.pods,
    ...datastores,
  ];
  return [...new Map(all.map((group) => [group.name, group])).values()];
}

/**
 * Pure: the guide's connections as an edge list, and nothing else. st2 processes reach
 * MongoDB, RabbitMQ, coordination and st2api/st2auth; Mistral reaches PostgreSQL, RabbitMQ
 * and st2api; the edge reaches every HTTP service; clients reach the edge; datastore
 * members reach each other; every pod reaches the cluster DNS; automation reaches out.
 */
export function deploymentEdges(net: DeploymentNetwork, settings: ResolvedNetworkPolicySettings): NetworkEdge[] {
  const edges: NetworkEdge[] = [];
  const connect = (from: readonly PodGroup[], to: readonly PodGroup[], ports: readonly NetworkPort[], why: string) => {
    for (const a of from) for (const b of to) if (a.name !== b.name) edges.push({ from: { pods: a }, to: { pods: b }, ports, why });
  };
  // A datastore in-cluster is its member pods; an external one is an address range on its ports.
  const useDatastore = (clients: readonly PodGroup[], datastore: DatastorePods | undefined, why: string) => {
    if (!datastore) return;
    if (datastore.members.length > 0) connect(clients, datastore.members, datastore.clientPorts, why);
    else
      for (const client of clients)
        edges.push({ from: { pods: client }, to: { cidrs: settings.externalDatastoreCidrs }, ports: datastore.clientPorts, why: `${why} (external)` });
  };
  const port = (number: number): NetworkPort[] => [{ port: number }];

  useDatastore(net.st2, net.mongodb, 'st2 stores its state in MongoDB');
  useDatastore(net.st2, net.rabbitmq, 'st2 processes talk over RabbitMQ');
  useDatastore(net.st2, net.coordination, 'st2 takes its locks in the coordination backend');
  connect(net.st2, net.api.pods, port(net.api.port), 'actions, sensors and the jobs use the st2 API');
  connect(net.st2, net.auth.pods, port(net.auth.port), 'actions, sensors and the jobs authenticate at st2auth');
  connect(net.chatops, net.api.pods, port(net.api.port), 'chatops runs commands through the st2 API');
  connect(net.chatops, net.auth.pods, port(net.auth.port), 'chatops authenticates at st2auth');
  connect(net.chatops, net.stream.pods, port(net.stream.port), 'chatops follows results on st2stream');
  connect(net.client, net.api.pods, port(net.api.port), 'the st2 CLI pod uses the st2 API');
  connect(net.client, net.auth.pods, port(net.auth.port), 'the st2 CLI pod logs in at st2auth');
  connect(net.client, net.stream.pods, port(net.stream.port), 'the st2 CLI pod follows executions on st2stream');
  for (const service of [net.api, net.auth, net.stream]) {
    connect(net.smokeTest, service.pods, port(service.port), 'the smoke test checks that st2api, st2auth and st2stream answer');
  }
  // st2.conf's api_url and (2.x) Mistral's URLs are the public URL: inside the cluster the
  // load balancer's address is routed straight to the edge pods.
  if (net.mistral.length > 0) connect([...net.st2, ...net.mistral], net.edge.pods, net.edge.ports, 'st2 and Mistral reach each other through the public URL');
  useDatastore(net.mistral, net.rabbitmq, 'Mistral talks over RabbitMQ');
  useDatastore([...net.mistral, ...net.mistralJobs], net.postgresql, 'Mistral stores workflows in PostgreSQL');
  connect(net.mistral, net.api.pods, port(net.api.port), 'Mistral calls the st2 API back');

  for (const service of [net.api, net.auth, net.stream, net.web, net.mistralApi]) {
    connect(net.edge.pods, service.pods, port(service.port), 'the edge routes to every HTTP service');
  }
  for (const edge of net.edge.pods)
    edges.push({ from: net.clients, to: { pods: edge }, ports: net.edge.ports, why: 'clients reach StackStorm only through the edge' });

  for (const datastore of [net.mongodb, net.rabbitmq, net.coordination, net.postgresql]) {
    if (!datastore || datastore.members.length === 0) continue;
    connect(datastore.jobs, datastore.members, datastore.clientPorts, "the datastore's init Job configures its members");
    for (const member of datastore.members) {
      if (datastore.peerPorts.length > 0)
        edges.push({ from: { pods: member }, to: { pods: member }, ports: datastore.peerPorts, why: 'members replicate and elect among themselves' });
      if (datastore.needsKubernetesApi) {
        edges.push({
          from: { pods: member },
          to: { cidrs: settings.kubernetesApiCidrs },
          ports: settings.kubernetesApiPorts,
          why: 'peer discovery reads the members from the Kubernetes API',
        });
      }
    }
  }
  if (net.authBackendPorts) {
    for (const group of net.auth.pods) {
      edges.push({
        from: { pods: group },
        to: { cidrs: settings.authBackendCidrs },
        ports: net.authBackendPorts,
        why: 'st2auth asks its authentication backend (LDAP)',
      });
    }
  }
  for (const group of net.automation) {
    edges.push({
      from: { pods: group },
      to: { cidrs: settings.automationCidrs },
      ports: settings.automationPorts,
      why: 'automation reaches the systems it automates',
    });
  }
  for (const group of networkGroups(net)) {
    edges.push({ from: { pods: group }, to: { namespace: settings.dnsNamespace }, ports: DNS_PORTS, why: 'every pod resolves names through the cluster DNS' });
  }
  return edges;
}

/** The components StackStormHa built, by the part each plays, and the endpoints it handed out. */
export interface BuiltComponents {
  /** The Python st2 processes and st2's content Jobs: clients of the datastores and the API. */
  readonly st2Processes: readonly IConstruct[];
  /** Components whose pods automate systems outside the cluster (actions, sensors, chatops). */
  readonly automation: readonly IConstruct[];
  /** The HTTP services behind the edge; absent when turned off. */
  readonly api?: IConstruct;
  readonly auth?: IConstruct;
  readonly stream?: IConstruct;
  readonly web: IConstruct;
  /** st2chatops: a client of the API only. */
  readonly chatops?: IConstruct;
  /** The st2client pod: a client of the API only. */
  readonly client?: IConstruct;
  /** The post-deploy smoke test: a client of the API only. */
  readonly smokeTest?: IConstruct;
  /** Mistral (2.x-mistral): its API behind the edge, its server, its schema Job. */
  readonly mistral?: { readonly api: IConstruct; readonly server: IConstruct; readonly schema: IConstruct };
  /** The nginx edge. */
  readonly edge: IConstruct;
  /** In-cluster datastores, when built. */
  readonly mongodb?: IConstruct;
  readonly rabbitmq?: IConstruct;
  readonly coordination?: IConstruct;
  readonly postgresql?: IConstruct;
  readonly endpoints: {
    readonly mongo: MongoEndpoint;
    readonly rabbit: RabbitMqEndpoint;
    readonly coordination: CoordinationEndpoint;
    readonly postgres?: PostgresEndpoint;
  };
  /** The edge's settings: TLS mode and load balancer source ranges decide its ingress. */
  readonly edgeSettings?: NginxSettings;
  /** The ports each component serves. */
  readonly ports: ComponentPorts;
  /** Ports st2auth reaches its authentication backend on; undefined for flat_file (no backend to reach). */
  readonly authBackendPorts?: readonly number[];
}

/** The `host:port`s of a tooz URL (external coordination). */
export function toozHostPorts(url: string | undefined): string[] {
  const hosts = url?.replace(/^[a-z][a-z0-9+]*:\/\//, '').replace(/[?#].*$/, '') ?? '';
  return [...hosts.matchAll(/(?:^|[,@])([A-Za-z0-9.-]+:[0-9]+)/g)].map((match) => match[1]);
}

/**
 * A datastore's pods and ports: the StatefulSet's pods are the members, its Jobs are
 * clients; without a construct it is external and its ports come from its `host:port`s.
 */
export function datastorePods(
  construct: IConstruct | undefined,
  clientPorts: readonly number[],
  peerPorts: readonly number[],
  externalHosts: readonly string[],
  needsKubernetesApi = false,
): DatastorePods {
  const groups = construct ? podGroupsOf(construct) : [];
  const ports = (list: readonly number[]): NetworkPort[] => [...new Set(list)].map((port) => ({ port }));
  return {
    members: groups.filter((group) => group.kind === 'StatefulSet'),
    jobs: groups.filter((group) => group.kind === 'Job'),
    clientPorts: ports(construct ? clientPorts : externalHosts.map((host) => portOf(host, clientPorts[0]))),
    peerPorts: construct ? ports(peerPorts) : [],
    needsKubernetesApi: construct !== undefined && needsKubernetesApi,
  };
}

/** Sorts the built components into the guide's picture. */
export function deploymentNetwork(built: BuiltComponents): DeploymentNetwork {
  const of = (construct: IConstruct | undefined) => (construct ? podGroupsOf(construct) : []);
  const service = (construct: IConstruct | undefined, port: number): ServicePods => ({ pods: of(construct), port });
  const st2 = built.st2Processes.flatMap(of);
  const { endpoints, ports } = built;
  const coordination =
    endpoints.coordination.backend === 'none'
      ? undefined
      : endpoints.coordination.backend === 'zookeeper'
        ? datastorePods(built.coordination, ports.zookeeper.client, ports.zookeeper.peer, [])
        : datastorePods(
            built.coordination,
            ports.redisSentinel.client,
            ports.redisSentinel.peer,
            endpoints.coordination.backend === 'external' ? toozHostPorts(endpoints.coordination.url) : endpoints.coordination.hosts,
          );
  const edge = built.edgeSettings ?? {};
  const edgePorts: NetworkPort[] = [{ port: ports.edge.http }];
  if ((edge.tls?.mode ?? 'terminate') === 'terminate') edgePorts.push({ port: ports.edge.https });
  // Source ranges identify clients only while the load balancer keeps their addresses
  // (externalTrafficPolicy Local) and no Ingress controller stands in between.
  const ranges = edge.service?.loadBalancerSourceRanges;
  const keepsClientAddress =
    (edge.service?.type ?? 'LoadBalancer') === 'LoadBalancer' && (edge.service?.externalTrafficPolicy ?? 'Local') === 'Local' && !edge.ingress?.enabled;
  return {
    st2,
    chatops: of(built.chatops),
    client: of(built.client),
    smokeTest: of(built.smokeTest),
    automation: built.automation.flatMap(of),
    authBackendPorts: built.authBackendPorts?.map((port) => ({ port })),
    api: service(built.api, ports.st2api),
    auth: service(built.auth, ports.st2auth),
    stream: service(built.stream, ports.st2stream),
    web: service(built.web, ports.st2web),
    mistralApi: service(built.mistral?.api, ports.mistralApi),
    mistral: [...of(built.mistral?.api), ...of(built.mistral?.server)],
    mistralJobs: of(built.mistral?.schema),
    edge: { pods: podGroupsOf(built.edge), ports: edgePorts },
    clients: ranges && ranges.length > 0 && keepsClientAddress ? { cidrs: ranges } : { anywhere: true },
    mongodb: datastorePods(built.mongodb, ports.mongodb.client, ports.mongodb.peer, endpoints.mongo.hosts),
    rabbitmq: datastorePods(built.rabbitmq, ports.rabbitmq.client, ports.rabbitmq.peer, endpoints.rabbit.hosts, true),
    coordination,
    postgresql: endpoints.postgres ? datastorePods(built.postgresql, ports.postgresql.client, ports.postgresql.peer, [endpoints.postgres.host]) : undefined,
  };
}
