import { majority } from '../common/quorum';
import { ComponentProfile, profileNamed } from '../common/component-profile';

/**
 * What survives the loss of a node, of a zone, and a rolling node drain, computed from the
 * synthesized objects alone. Settings are deliberately not consulted: the report checks
 * what the cluster will be told, so a bug between settings and manifests shows up here.
 */

/** A Kubernetes object as parsed from dist/ (plain JSON). */
export interface ManifestObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec?: any;
  readonly [key: string]: unknown;
}

/** `yes`: guaranteed by the manifests; `likely`: only preferred by the scheduler; `no`: downtime; `blocked`: a drain cannot proceed. */
export type Outcome = 'yes' | 'likely' | 'no' | 'blocked';

/** An outcome and the manifest facts that decided it. */
export interface Verdict {
  readonly outcome: Outcome;
  readonly why: string;
}

/** How strongly replicas are kept apart across one topology key. */
export type Separation = 'required' | 'preferred' | 'none';

/** How the workload is replicated, as read from its kind, labels and replica count. */
export type ObservedHaMode =
  /** 2+ interchangeable replicas. */
  | 'active-active'
  /** A StatefulSet of a database, message queue or coordination service: members elect by majority. */
  | 'quorum'
  /** One replica, on the allow-list of by-design singletons. */
  | 'singleton'
  /**
   * Sensor partitions (on the allow-list): one pod per partition, as a one-replica
   * Deployment or as a StatefulSet whose every pod is a partition of its own.
   */
  | 'partition'
  /** One replica of something meant to be replicated. */
  | 'single-replica';

/** The PodDisruptionBudget that covers a workload's pods, evaluated at full health. */
export interface BudgetSummary {
  readonly name: string;
  /** `maxUnavailable: 1`, `minAvailable: 50%`, ... as written. */
  readonly rule: string;
  /** Pods that must stay healthy (the disruption controller's desiredHealthy). */
  readonly desiredHealthy: number;
  /** Evictions allowed while every pod is healthy. */
  readonly allowedDisruptions: number;
}

/** One Deployment or StatefulSet and what it survives. */
export interface ComponentReport {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  /** `app.kubernetes.io/component` of the workload. */
  readonly role?: string;
  /** Replica count; min..max when a HorizontalPodAutoscaler scales it (verdicts use min). */
  readonly replicas: { readonly min: number; readonly max: number; readonly autoscaled: boolean };
  readonly haMode: ObservedHaMode;
  /** For quorum sets: members that must be up. */
  readonly majority?: number;
  /** Why it is a singleton, when it is on the allow-list. */
  readonly byDesign?: string;
  /** Every budget whose selector matches the pods (more than one blocks evictions). */
  readonly budgets: readonly BudgetSummary[];
  readonly spread: { readonly node: Separation; readonly zone: Separation };
  readonly survives: { readonly nodeLoss: Verdict; readonly zoneLoss: Verdict; readonly rollingDrain: Verdict };
  /** `fail`: does not survive a node loss; `by-design`: neither, but on the allow-list. */
  readonly status: 'ok' | 'by-design' | 'fail';
  /** Things a reader should know (preferred spread, drains that cause downtime, ...). */
  readonly warnings: readonly string[];
}

/** The report of one environment. */
export interface FailureDomainReport {
  readonly components: readonly ComponentReport[];
  /** Names of components that do not survive a node loss and are not allow-listed. */
  readonly failures: readonly string[];
}

/** Roles whose StatefulSets keep state by majority vote (replica set, pause_minority cluster, sentinel/ensemble). */
const QUORUM_ROLES = new Set(['database', 'message-queue', 'coordination']);

export const HOSTNAME_KEY = 'kubernetes.io/hostname';
export const ZONE_KEYS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];
/** What the DefaultTolerationSeconds admission plugin adds for unreachable / not-ready nodes. */
export const DEFAULT_TOLERATION_SECONDS = 300;

const ROLE = 'app.kubernetes.io/component';
const NAME = 'app.kubernetes.io/name';

/** A Kubernetes label selector (matchLabels and matchExpressions). */
interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: readonly { key: string; operator: string; values?: string[] }[];
}

/** True when `selector` selects an object labelled `labels` (an empty selector selects everything). */
export function selects(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return key in labels && values.includes(labels[key]);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        return false;
    }
  });
  return byLabel && byExpression;
}

/** An int-or-percent against a pod count, rounded up as the disruption controller does. */
function scaled(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+)%$/.exec(value);
  if (!match) return Number(value);
  return Math.ceil((Number(match[1]) * total) / 100);
}

/** Evaluates one PodDisruptionBudget for a workload of `replicas` healthy pods. */
export function evaluateBudget(budget: ManifestObject, replicas: number): BudgetSummary {
  const spec = budget.spec ?? {};
  let desiredHealthy: number;
  let rule: string;
  if (spec.maxUnavailable !== undefined) {
    rule = `maxUnavailable ${spec.maxUnavailable}`;
    desiredHealthy = replicas - scaled(spec.maxUnavailable, replicas);
  } else if (spec.minAvailable !== undefined) {
    rule = `minAvailable ${spec.minAvailable}`;
    desiredHealthy = scaled(spec.minAvailable, replicas);
  } else {
    // Neither field: the API defaults minAvailable to 1.
    rule = 'minAvailable 1 (default)';
    desiredHealthy = 1;
  }
  desiredHealthy = Math.max(0, desiredHealthy);
  return { name: budget.metadata.name, rule, desiredHealthy, allowedDisruptions: Math.max(0, replicas - desiredHealthy) };
}

function stronger(a: Separation, b: Separation): Separation {
  const rank: Record<Separation, number> = { none: 0, preferred: 1, required: 2 };
  return rank[a] >= rank[b] ? a : b;
}

/**
 * How strongly the pod template keeps its own replicas apart across `keys`. A spread
 * constraint only guarantees one replica per domain with DoNotSchedule and maxSkew 1;
 * ScheduleAnyway, a larger skew, or preferred anti-affinity lets the scheduler co-locate.
 * Rules whose selector does not match the pod's own labels spread something else.
 */
export function separation(podSpec: any, podLabels: Readonly<Record<string, string>>, keys: readonly string[]): Separation {
  let found: Separation = 'none';
  for (const constraint of podSpec?.topologySpreadConstraints ?? []) {
    if (!keys.includes(constraint.topologyKey) || !selects(constraint.labelSelector, podLabels)) continue;
    const hard = constraint.whenUnsatisfiable !== 'ScheduleAnyway' && (constraint.maxSkew ?? 1) === 1;
    found = stronger(found, hard ? 'required' : 'preferred');
  }
  const anti = podSpec?.affinity?.podAntiAffinity ?? {};
  for (const term of anti.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (keys.includes(term.topologyKey) && selects(term.labelSelector, podLabels)) found = stronger(found, 'required');
  }
  for (const weighted of anti.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    const term = weighted.podAffinityTerm ?? {};
    if (keys.includes(term.topologyKey) && selects(term.labelSelector, podLabels)) found = stronger(found, 'preferred');
  }
  return found;
}

/** Seconds before pods on an unreachable node are evicted (the pod's toleration, or the admission default). */
function evictionDelay(podSpec: any): number {
  const toleration = (podSpec?.tolerations ?? []).find(
    (t: any) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute' && typeof t.tolerationSeconds === 'number',
  );
  return toleration ? toleration.tolerationSeconds : DEFAULT_TOLERATION_SECONDS;
}

/** What a one-replica workload does when its node is lost: the downtime it takes. */
function singleReplicaLoss(kind: ComponentReport['kind'], podSpec: any): string {
  if (kind === 'StatefulSet') {
    // At-most-one semantics: the controller waits for the old pod object to be gone.
    return 'one replica: not replaced until the lost node is deleted or its pod force-deleted (downtime until then)';
  }
  return `one replica: restarts elsewhere (downtime ~ ${evictionDelay(podSpec)}s eviction delay + reschedule + startup)`;
}

/**
 * Whether losing one domain (a node or a zone) leaves the workload serving. Stateless
 * replicas need one survivor; a quorum set needs a majority, so a member may only go when
 * `members - 1 >= majority`, and only if members are kept in separate domains.
 */
function domainLoss(options: {
  readonly domain: 'node' | 'zone';
  readonly members: number;
  readonly quorum: boolean;
  readonly separation: Separation;
  readonly single: string;
}): Verdict {
  const { domain, members, quorum } = options;
  if (members < 2) return { outcome: 'no', why: options.single };
  if (quorum && members - 1 < majority(members)) {
    return { outcome: 'no', why: `${members} members: losing one leaves ${members - 1}, below the majority of ${majority(members)}` };
  }
  const need = quorum ? `at least ${members} ${domain}s` : `at least 2 ${domain}s`;
  switch (options.separation) {
    case 'required':
      return { outcome: 'yes', why: `${members} replicas, required one-per-${domain} placement (assumes ${need})` };
    case 'preferred':
      return { outcome: 'likely', why: `${members} replicas, ${domain} spread is only preferred: the scheduler may co-locate them` };
    default:
      return { outcome: 'no', why: `${members} replicas but no ${domain} spread: they may all share one ${domain}` };
  }
}

/**
 * A StatefulSet of partitions: every pod is the only one running its share, so whatever
 * takes a pod away stops that share until the pod is back.
 */
function partitionSetLoss(members: number, budgets: readonly BudgetSummary[]): ComponentReport['survives'] {
  const lost = 'stop until the lost node is deleted or their pods force-deleted (a StatefulSet never runs a partition twice)';
  const budget = budgets.length === 1 ? budgets[0] : undefined;
  return {
    nodeLoss: { outcome: 'no', why: `${members} partitions, one pod each: those on the lost node ${lost}` },
    zoneLoss: { outcome: 'no', why: `${members} partitions, one pod each: those in the lost zone ${lost}` },
    // Several budgets block evictions whatever the workload: rollingDrain says so.
    rollingDrain:
      budgets.length > 1
        ? rollingDrain(members, false, budgets, '')
        : {
            outcome: 'no',
            why: budget
              ? `${budget.rule}: a drain stops ${budget.allowedDisruptions} partition(s) at a time, each until its pod restarts elsewhere`
              : 'no PodDisruptionBudget: a drain can stop every partition on the node at once',
          },
  };
}

/** Whether draining nodes one after another keeps the workload serving. */
function rollingDrain(members: number, quorum: boolean, budgets: readonly BudgetSummary[], single: string): Verdict {
  if (budgets.length > 1) {
    return { outcome: 'blocked', why: `${budgets.length} budgets (${budgets.map((b) => b.name).join(', ')}) select the pods: the eviction API refuses them` };
  }
  const budget = budgets[0];
  if (!budget) {
    if (members < 2) return { outcome: 'no', why: `no PodDisruptionBudget; ${single}` };
    return { outcome: 'no', why: 'no PodDisruptionBudget: a drain does not wait for replacements, so consecutive drains can evict every replica' };
  }
  if (budget.allowedDisruptions < 1) {
    return { outcome: 'blocked', why: `${budget.rule} of ${members} allows no eviction: every drain of its nodes hangs` };
  }
  const floor = quorum ? majority(members) : 1;
  if (budget.desiredHealthy < floor) {
    const what = quorum ? `the majority of ${floor}` : 'one ready replica';
    return { outcome: 'no', why: `${budget.rule} of ${members} lets ${budget.allowedDisruptions} go at once, below ${what}` };
  }
  return { outcome: 'yes', why: `${budget.rule}: evicts ${budget.allowedDisruptions} at a time, keeps ${budget.desiredHealthy} of ${members}` };
}

/** Computes the failure-domain report of one environment's objects. */
/**
 * The report of one environment's objects. `profiles` say which components run one copy (or
 * one pod per partition) by design: StackStormHa's COMPONENT_PROFILES for our own output.
 */
export function failureDomainReport(objects: readonly ManifestObject[], profiles: readonly ComponentProfile[]): FailureDomainReport {
  const workloads = objects.filter((o): o is ManifestObject & { kind: 'Deployment' | 'StatefulSet' } => o.kind === 'Deployment' || o.kind === 'StatefulSet');
  const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
  const autoscalers = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');

  const components = workloads
    .map((workload): ComponentReport => {
      const namespace = workload.metadata.namespace;
      const template = workload.spec?.template ?? {};
      const podLabels: Record<string, string> = template.metadata?.labels ?? {};
      const podSpec = template.spec ?? {};
      const identity = workload.metadata.labels?.[NAME] ?? workload.metadata.name;
      const role = workload.metadata.labels?.[ROLE] ?? podLabels[ROLE];

      const hpa = autoscalers.find(
        (a) => a.metadata.namespace === namespace && a.spec?.scaleTargetRef?.kind === workload.kind && a.spec?.scaleTargetRef?.name === workload.metadata.name,
      );
      const replicas = hpa
        ? { min: hpa.spec.minReplicas ?? 1, max: hpa.spec.maxReplicas, autoscaled: true }
        : { min: workload.spec?.replicas ?? 1, max: workload.spec?.replicas ?? 1, autoscaled: false };
      const members = replicas.min;

      const quorum = workload.kind === 'StatefulSet' && role !== undefined && QUORUM_ROLES.has(role) && members > 1;
      const allowed = profileNamed(profiles, identity)?.byDesign;
      // Pods of a partition StatefulSet are not replicas of each other: each runs its own share.
      const partitionSet = allowed?.mode === 'partition' && workload.kind === 'StatefulSet' && members >= 2;
      const haMode: ObservedHaMode = quorum
        ? 'quorum'
        : partitionSet
          ? 'partition'
          : members >= 2
            ? 'active-active'
            : allowed
              ? allowed.mode
              : 'single-replica';

      const covering = budgets.filter((b) => b.metadata.namespace === namespace && selects(b.spec?.selector, podLabels)).map((b) => evaluateBudget(b, members));
      const spread = {
        node: separation(podSpec, podLabels, [HOSTNAME_KEY]),
        zone: separation(podSpec, podLabels, ZONE_KEYS),
      };
      const single = singleReplicaLoss(workload.kind, podSpec);
      const survives = partitionSet
        ? partitionSetLoss(members, covering)
        : {
            nodeLoss: domainLoss({ domain: 'node', members, quorum, separation: spread.node, single }),
            zoneLoss: domainLoss({ domain: 'zone', members, quorum, separation: spread.zone, single }),
            rollingDrain: rollingDrain(members, quorum, covering, single),
          };

      const warnings: string[] = [];
      const byDesign = allowed && (members === 1 || partitionSet) ? allowed.reason : undefined;
      if (allowed && members > 1 && !partitionSet) warnings.push(`${members} replicas of a by-design singleton (${allowed.reason})`);
      if (survives.nodeLoss.outcome === 'likely') {
        warnings.push(
          'node loss survived only if the scheduler keeps replicas apart: node spread is preferred, not required (DoNotSchedule with maxSkew 1, or required anti-affinity)',
        );
      }
      if (survives.rollingDrain.outcome === 'blocked' || (survives.rollingDrain.outcome === 'no' && members > 1 && !partitionSet)) {
        warnings.push(`drain: ${survives.rollingDrain.why}`);
      }
      const status = survives.nodeLoss.outcome !== 'no' ? 'ok' : byDesign ? 'by-design' : 'fail';

      return {
        kind: workload.kind,
        name: workload.metadata.name,
        role,
        replicas,
        haMode,
        majority: quorum ? majority(members) : undefined,
        byDesign,
        budgets: covering,
        spread,
        survives,
        status,
        warnings,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));

  return { components, failures: components.filter((c) => c.status === 'fail').map((c) => c.name) };
}
