import { ManifestObject } from './failure-domains';

/**
 * The architecture picture of one environment, read from its synthesized objects alone
 * (like the failure-domain report: what the cluster will be told, not what settings meant).
 *
 * Edges come from what each workload is configured to connect to: every in-cluster DNS
 * name (`<service>.<namespace>.svc...`, or `<pod>.<service>.<namespace>.svc...` for a
 * member) written in its pod template (commands, arguments, environment, e.g. the
 * `prepare` init container's wait list) or in a ConfigMap it mounts (st2.conf, nginx.conf,
 * mistral.conf), resolved through the Service's selector to the workloads behind it. That
 * is the one source that exists in every environment and is exactly what the processes
 * use; NetworkPolicies, where present, should allow these edges, not define them.
 */

/** How a component is drawn together with its peers (the guide's picture). */
export type ArchitectureGroup = 'edge' | 'st2' | 'mistral' | 'datastores' | 'jobs';

export const GROUP_TITLES: Readonly<Record<ArchitectureGroup, string>> = {
  edge: 'Edge',
  st2: 'StackStorm services',
  mistral: 'Mistral',
  datastores: 'Datastores',
  jobs: 'One-shot Jobs',
};
const GROUP_ORDER: readonly ArchitectureGroup[] = ['edge', 'st2', 'mistral', 'datastores', 'jobs'];

/** One workload: a Deployment, StatefulSet, DaemonSet, Job or CronJob. */
export interface ArchitectureNode {
  readonly name: string;
  readonly kind: string;
  readonly group: ArchitectureGroup;
  /** `2 replicas`, `3 members`, `2..6 replicas (autoscaled)`, `Job`. */
  readonly size: string;
}

/** `from` connects to `to` (workload names); ports as written in the reference, or the Service's only port. */
export interface ArchitectureEdge {
  readonly from: string;
  readonly to: string;
  readonly ports: readonly number[];
}

export interface Architecture {
  readonly nodes: readonly ArchitectureNode[];
  readonly edges: readonly ArchitectureEdge[];
  /** Workloads reachable from outside the cluster (LoadBalancer or NodePort Services), with the ports. */
  readonly entries: readonly ArchitectureEdge[];
}

const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);
const COMPONENT = 'app.kubernetes.io/component';

function podTemplate(object: ManifestObject): any {
  return object.kind === 'CronJob' ? object.spec?.jobTemplate?.spec?.template : object.spec?.template;
}

/** The group a workload is drawn in, from its component label (Mistral by name: its roles are shared with st2's). */
export function groupOf(object: ManifestObject): ArchitectureGroup {
  const component = object.metadata.labels?.[COMPONENT];
  if (object.kind === 'Job' || object.kind === 'CronJob' || component === 'job') return 'jobs';
  if (component === 'edge' || component === 'web') return 'edge';
  if (component === 'database' || component === 'message-queue' || component === 'coordination') return 'datastores';
  if (object.metadata.name.startsWith('mistral')) return 'mistral';
  return 'st2';
}

function sizeOf(object: ManifestObject, objects: readonly ManifestObject[]): string {
  if (object.kind === 'Job' || object.kind === 'CronJob' || object.kind === 'DaemonSet') return object.kind;
  const hpa = objects.find(
    (o) => o.kind === 'HorizontalPodAutoscaler' && o.spec?.scaleTargetRef?.kind === object.kind && o.spec?.scaleTargetRef?.name === object.metadata.name,
  );
  if (hpa) return `${hpa.spec.minReplicas ?? 1}..${hpa.spec.maxReplicas} replicas (autoscaled)`;
  const replicas: number = object.spec?.replicas ?? 1;
  const unit = object.kind === 'StatefulSet' ? 'member' : 'replica';
  return `${replicas} ${unit}${replicas === 1 ? '' : 's'}`;
}

/** Every string below `value`. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((item) => strings(item, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((item) => strings(item, out));
  return out;
}

/** The text a workload is configured with: its containers and the ConfigMaps it reads. */
function configurationText(object: ManifestObject, configMaps: ReadonlyMap<string, ManifestObject>): string[] {
  const spec = podTemplate(object)?.spec ?? {};
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const names = new Set<string>();
  for (const volume of spec.volumes ?? []) {
    if (volume.configMap?.name) names.add(volume.configMap.name);
    for (const source of volume.projected?.sources ?? []) if (source.configMap?.name) names.add(source.configMap.name);
  }
  for (const c of containers) for (const from of c.envFrom ?? []) if (from.configMapRef?.name) names.add(from.configMapRef.name);
  const mounted = [...names].sort().map((name) => configMaps.get(name)?.data ?? {});
  return strings([containers.map((c) => [c.command, c.args, c.env]), mounted]);
}

/** `service:port` references to in-cluster names of `namespace` in `text` (port undefined when not written). */
export function serviceReferences(text: string, namespace: string): { service: string; port?: number }[] {
  const ns = namespace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)\\.${ns}\\.svc(?:\\.cluster\\.local)?\\.?(?::(\\d+))?`, 'g');
  return [...text.matchAll(pattern)].map((match) => ({
    service: match[1].split('.').pop()!,
    port: match[2] === undefined ? undefined : Number(match[2]),
  }));
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels?.[key] === value);
}

function namespaceOf(objects: readonly ManifestObject[]): string {
  const namespaced = objects.find((o) => o.metadata.namespace)?.metadata.namespace;
  const namespace = namespaced ?? objects.find((o) => o.kind === 'Namespace')?.metadata.name;
  if (!namespace) throw new Error('the objects name no namespace');
  return namespace;
}

function addEdge(edges: Map<string, Set<number>>, from: string, to: string, ports: readonly number[]): void {
  const key = `${from}\u0000${to}`;
  const set = edges.get(key) ?? new Set<number>();
  ports.forEach((port) => set.add(port));
  edges.set(key, set);
}

function edgeList(edges: Map<string, Set<number>>): ArchitectureEdge[] {
  return [...edges.entries()]
    .map(([key, ports]) => {
      const [from, to] = key.split('\u0000');
      return { from, to, ports: [...ports].sort((a, b) => a - b) };
    })
    .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/** Components, their sizes and the connections between them. */
export function architecture(objects: readonly ManifestObject[]): Architecture {
  const namespace = namespaceOf(objects);
  const workloads = objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o]));
  const services = new Map(objects.filter((o) => o.kind === 'Service').map((o) => [o.metadata.name, o]));
  const behind = (service: ManifestObject) =>
    workloads.filter((w) => selects(service.spec?.selector, podTemplate(w)?.metadata?.labels)).map((w) => w.metadata.name);
  const servicePorts = (service: ManifestObject): number[] => (service.spec?.ports ?? []).map((p: any) => p.port as number);

  const edges = new Map<string, Set<number>>();
  for (const workload of workloads) {
    for (const text of configurationText(workload, configMaps)) {
      for (const reference of serviceReferences(text, namespace)) {
        const service = services.get(reference.service);
        if (!service) continue;
        const all = servicePorts(service);
        const ports = reference.port !== undefined ? [reference.port] : all.length === 1 ? all : [];
        for (const target of behind(service)) {
          if (target !== workload.metadata.name) addEdge(edges, workload.metadata.name, target, ports);
        }
      }
    }
  }
  const entries = new Map<string, Set<number>>();
  for (const service of services.values()) {
    if (service.spec?.type !== 'LoadBalancer' && service.spec?.type !== 'NodePort') continue;
    for (const target of behind(service)) addEdge(entries, 'clients', target, servicePorts(service));
  }
  const nodes = workloads
    .map((w) => ({ name: w.metadata.name, kind: w.kind, group: groupOf(w), size: sizeOf(w, objects) }))
    .sort((a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group) || a.name.localeCompare(b.name));
  return { nodes, edges: edgeList(edges), entries: edgeList(entries) };
}

const id = (name: string) => `n_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
const groupId = (group: ArchitectureGroup) => `g_${group}`;
const portLabel = (ports: readonly number[]) => (ports.length > 0 ? `|"${ports.join(', ')}"|` : '');

function nodeShape(node: ArchitectureNode): string {
  const text = `"${node.name}<br/>${node.size}"`;
  if (node.group === 'datastores') return `${id(node.name)}[(${text})]`;
  if (node.group === 'jobs') return `${id(node.name)}([${text}])`;
  return `${id(node.name)}[${text}]`;
}

/**
 * A Mermaid flowchart (GitHub renders it). When every member of a group connects to the
 * same component, one edge is drawn from the group instead of one per member, which keeps
 * the picture readable with many st2 processes. Job connections are dashed: they happen
 * once per run, not all the time.
 */
export function renderMermaid(arch: Architecture): string {
  const lines = ['flowchart TB', '  clients(("clients"))'];
  for (const group of GROUP_ORDER) {
    const members = arch.nodes.filter((n) => n.group === group);
    if (members.length === 0) continue;
    lines.push(`  subgraph ${groupId(group)}["${GROUP_TITLES[group]}"]`);
    members.forEach((node) => lines.push(`    ${nodeShape(node)}`));
    lines.push('  end');
  }
  for (const entry of arch.entries) lines.push(`  clients -->${portLabel(entry.ports)} ${id(entry.to)}`);
  const groupOfNode = new Map(arch.nodes.map((n) => [n.name, n.group]));
  const drawn = new Set<ArchitectureEdge>();
  for (const group of GROUP_ORDER) {
    const members = arch.nodes.filter((n) => n.group === group).map((n) => n.name);
    if (members.length < 2) continue;
    const targets = [...new Set(arch.edges.filter((e) => members.includes(e.from)).map((e) => e.to))].sort();
    for (const target of targets) {
      if (groupOfNode.get(target) === group) continue;
      const shared = members.map((m) => arch.edges.find((e) => e.from === m && e.to === target));
      if (shared.some((e) => e === undefined)) continue;
      shared.forEach((e) => drawn.add(e!));
      const ports = [...new Set(shared.flatMap((e) => e!.ports))].sort((a, b) => a - b);
      lines.push(`  ${groupId(group)} ${group === 'jobs' ? '-.->' : '-->'}${portLabel(ports)} ${id(target)}`);
    }
  }
  for (const edge of arch.edges) {
    if (drawn.has(edge)) continue;
    const arrow = groupOfNode.get(edge.from) === 'jobs' ? '-.->' : '-->';
    lines.push(`  ${id(edge.from)} ${arrow}${portLabel(edge.ports)} ${id(edge.to)}`);
  }
  return lines.join('\n');
}

/** The environments docs/architecture.md shows: the current topology and the guide's own. */
export const DIAGRAM_ENVIRONMENTS = ['ha', 'ha-legacy-mistral'] as const;

/** docs/architecture.md: one picture per environment. */
export function architectureMarkdown(environments: readonly { name: string; objects: readonly ManifestObject[] }[]): string {
  const sections = environments.map(({ name, objects }) =>
    [
      `## ${name}`,
      '',
      `Synthesized from \`environments/${name}.yaml\` (\`dist/${name}/\`).`,
      '',
      '```mermaid',
      renderMermaid(architecture(objects)),
      '```',
      '',
    ].join('\n'),
  );
  return [
    '# Architecture',
    '',
    '<!-- Generated by `npm run diagram` (scripts/diagram.ts) from dist/; do not edit.',
    '     __tests__/report/architecture.test.ts fails when this file is out of date. -->',
    '',
    "Every workload with its replicas, grouped like the StackStorm HA guide's picture. An arrow",
    'means "is configured to reach", with the port; it is read from the manifests (the in-cluster',
    "names in each pod's commands, environment and mounted configuration, resolved through the",
    'Services), so the picture cannot drift from what is deployed. An arrow from a group box means',
    'every member of the group does; dashed arrows are one-shot Jobs. Calls through the public URL',
    '(st2 and Mistral calling each other in 2.x) go out through the load balancer and are not drawn.',
    '',
    ...sections,
  ].join('\n');
}
