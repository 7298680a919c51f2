import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { k8s } from '../../imports/k8s';
import { check } from '../common/errors';
import { NetworkPort } from '../config/network';

/** The pods of one workload, as a NetworkPolicy selects them. */
export interface PodGroup {
  /** `app.kubernetes.io/name` of the pods, also the name of the group's NetworkPolicy. */
  readonly name: string;
  /** The workload kind that runs the pods. */
  readonly kind: 'Deployment' | 'StatefulSet' | 'Job';
  /** Labels that select exactly these pods. */
  readonly selector: Readonly<Record<string, string>>;
}

/** One end of an edge. */
export type NetworkPeer =
  /** Pods of this namespace. */
  | { readonly pods: PodGroup }
  /** Addresses outside the cluster. */
  | { readonly cidrs: readonly string[] }
  /** Every pod of another namespace (e.g. the cluster DNS in kube-system). */
  | { readonly namespace: string }
  /** Any source or destination at all. */
  | { readonly anywhere: true };

/**
 * One allowed connection: `from` opens it, `to` accepts it. An edge between two pod groups
 * becomes an egress rule of `from` and an ingress rule of `to`; an edge with an address
 * range, another namespace or `anywhere` on one side becomes a rule of the pod side only.
 */
export interface NetworkEdge {
  readonly from: NetworkPeer;
  readonly to: NetworkPeer;
  /** Ports on the `to` side. @default every port */
  readonly ports?: readonly NetworkPort[];
  /** Why the connection exists (written to the docs' edge list). */
  readonly why: string;
}

/** The NetworkPolicy of one pod group, as plain JSON (what {@link networkPolicySpecs} returns). */
export interface PodGroupPolicy {
  readonly name: string;
  readonly podSelector: { readonly matchLabels: Readonly<Record<string, string>> };
  readonly ingress: readonly PolicyRule[];
  readonly egress: readonly PolicyRule[];
}

/** A NetworkPolicy rule as plain JSON: `peers` become `from` (ingress) or `to` (egress); none means any. */
export interface PolicyRule {
  readonly peers?: readonly Record<string, unknown>[];
  readonly ports?: readonly { readonly port: number; readonly endPort?: number; readonly protocol: 'TCP' | 'UDP' }[];
}

export { checkCidrs } from '../common/validators';

/** Throws a SettingError unless every port (range) is within 1..65535. */
export function checkPorts(ports: readonly NetworkPort[], setting: string): void {
  ports.forEach((port, index) => {
    const valid =
      Number.isInteger(port.port) &&
      port.port >= 1 &&
      port.port <= 65535 &&
      (port.endPort === undefined || (Number.isInteger(port.endPort) && port.endPort >= port.port && port.endPort <= 65535));
    check(valid, `${setting}[${index}]`, `${JSON.stringify(port)} is not a port or port range`, 'give port (1-65535) and optionally endPort >= port');
  });
}

/**
 * The pod groups of every workload below `scope`, read from the pod templates' labels
 * (each workload selects its pods by `app.kubernetes.io/name` and `instance`).
 */
export function podGroupsOf(scope: IConstruct): PodGroup[] {
  return scope.node.findAll().flatMap((child): PodGroup[] => {
    let kind: PodGroup['kind'];
    if (child instanceof kplus.Deployment) kind = 'Deployment';
    else if (child instanceof kplus.StatefulSet) kind = 'StatefulSet';
    else if (child instanceof kplus.Job) kind = 'Job';
    else return [];
    const name = child.podMetadata.getLabel('app.kubernetes.io/name');
    const instance = child.podMetadata.getLabel('app.kubernetes.io/instance');
    if (!name || !instance) return [];
    return [{ name, kind, selector: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': instance } }];
  });
}

function peerJson(peer: NetworkPeer): Record<string, unknown>[] | undefined {
  if ('pods' in peer) return [{ podSelector: { matchLabels: { ...peer.pods.selector } } }];
  if ('cidrs' in peer) return peer.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
  if ('namespace' in peer) return [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peer.namespace } } }];
  return undefined;
}

/**
 * Pure: the edge list as one policy per pod group (ingress from the edges that end at the
 * group, egress for the edges that start there), identical rules merged. Groups that are
 * on no edge get a policy with no rules, which denies like the namespace default.
 */
export function networkPolicySpecs(groups: readonly PodGroup[], edges: readonly NetworkEdge[]): PodGroupPolicy[] {
  // Rules are keyed by their ports: peers allowed on the same ports share one rule.
  type Rules = Map<string, { ports?: PolicyRule['ports']; peers?: Map<string, Record<string, unknown>> }>;
  const byName = new Map<string, { group: PodGroup; ingress: Rules; egress: Rules }>();
  for (const group of groups) {
    if (!byName.has(group.name)) byName.set(group.name, { group, ingress: new Map(), egress: new Map() });
  }
  const add = (rules: Rules, peer: NetworkPeer, ports: readonly NetworkPort[] | undefined) => {
    const json = ports?.map((p) => ({
      port: p.port,
      ...(p.endPort !== undefined && p.endPort !== p.port ? { endPort: p.endPort } : {}),
      protocol: p.protocol ?? ('TCP' as const),
    }));
    const peers = peerJson(peer);
    const key = `${peers ? 'peers' : 'any'}|${JSON.stringify(json ?? 'all')}`;
    const rule = rules.get(key) ?? { ports: json, peers: peers ? new Map() : undefined };
    for (const one of peers ?? []) rule.peers!.set(JSON.stringify(one), one);
    rules.set(key, rule);
  };
  const entry = (group: PodGroup, edge: NetworkEdge) => {
    const found = byName.get(group.name);
    if (!found) throw new Error(`edge "${edge.why}" names ${group.name}, which is not deployed`);
    return found;
  };
  for (const edge of edges) {
    if ('pods' in edge.from) add(entry(edge.from.pods, edge).egress, edge.to, edge.ports);
    if ('pods' in edge.to) add(entry(edge.to.pods, edge).ingress, edge.from, edge.ports);
  }
  const rules = (map: Rules): PolicyRule[] =>
    [...map.values()].map(({ ports, peers }) => ({
      ...(peers ? { peers: [...peers.values()] } : {}),
      ...(ports ? { ports } : {}),
    }));
  return [...byName.values()].map(({ group, ingress, egress }) => ({
    name: group.name,
    podSelector: { matchLabels: { ...group.selector } },
    ingress: rules(ingress),
    egress: rules(egress),
  }));
}

/** Props of {@link NetworkPolicies}. */
export interface NetworkPoliciesProps {
  /** Every pod group of the deployment; each gets a policy named after it. */
  readonly groups: readonly PodGroup[];
  /** The allowed connections; nothing else is. */
  readonly edges: readonly NetworkEdge[];
}

/**
 * The namespace's network policy: `default-deny` (every pod, ingress and egress), then one
 * NetworkPolicy per pod group that opens exactly the edges it is on. NetworkPolicies only
 * add allowances, so the union is exactly the edge list.
 */
export class NetworkPolicies extends Construct {
  /** The per-group policies, as plain JSON. */
  public readonly policies: readonly PodGroupPolicy[];
  /** The edge list the policies were built from. */
  public readonly edges: readonly NetworkEdge[];

  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    this.edges = props.edges;
    new k8s.KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: { name: 'default-deny' },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    this.policies = networkPolicySpecs(props.groups, props.edges);
    for (const policy of this.policies) {
      const ports = (rule: PolicyRule) => rule.ports?.map((p) => ({ ...p, port: k8s.IntOrString.fromNumber(p.port) }));
      new k8s.KubeNetworkPolicy(this, policy.name, {
        metadata: { name: policy.name },
        spec: {
          podSelector: { matchLabels: { ...policy.podSelector.matchLabels } },
          policyTypes: ['Ingress', 'Egress'],
          ingress: policy.ingress.map((rule) => ({ from: rule.peers as k8s.NetworkPolicyPeer[] | undefined, ports: ports(rule) })),
          egress: policy.egress.map((rule) => ({ to: rule.peers as k8s.NetworkPolicyPeer[] | undefined, ports: ports(rule) })),
        },
      });
    }
  }
}
