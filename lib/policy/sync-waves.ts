import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * Apply order for GitOps tools, decided here and nowhere else. Argo CD applies one wave,
 * waits until everything in it is healthy (a Job: completed), then applies the next; plain
 * `kubectl apply -f dist/<env>/` ignores waves and relies on the same order being safe
 * out of order: every process waits for its datastores in its `prepare` init container,
 * and every Job is idempotent, so re-running one is harmless.
 */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** The stages, in apply order, and the Argo CD wave of each. */
export const SYNC_STAGES = {
  /** Namespace, identities, RBAC, configuration, volumes, policies: nothing to wait for. */
  foundation: 0,
  /**
   * Datastores with their Services and their own init Jobs. The init Jobs share the wave
   * on purpose: MongoDB's member 0 only becomes ready once `mongodb-init` has initiated the
   * set, so a later wave would wait for a StatefulSet that waits for the Job (a deadlock).
   */
  datastores: 1,
  /** Schema Jobs that need a datastore and its init Job done (mistral-db-manage). */
  schema: 2,
  /** The st2 (and Mistral) processes and st2web. */
  processes: 3,
  /** Per-release st2 content Jobs: registration needs MongoDB, key loading needs st2api. */
  content: 4,
  /**
   * The nginx edge last: its LoadBalancer Service stays Progressing in Argo CD until the
   * cluster assigns an address, which would hold back every later wave (on a cluster
   * without a load-balancer controller, forever). Nothing inside the cluster needs it.
   */
  edge: 5,
} as const;

export type SyncStage = keyof typeof SYNC_STAGES;

/** What the wave of an object is decided from (its kind, name and component label). */
export interface WaveSubject {
  readonly kind: string;
  readonly name: string;
  /** `app.kubernetes.io/component`. */
  readonly component?: string;
}

/** Kinds nothing depends on being healthy: applied before any workload. */
const FOUNDATION_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'ServiceAccount', 'Secret', 'ConfigMap', 'PersistentVolumeClaim',
  'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding',
  'NetworkPolicy', 'PodDisruptionBudget', 'LimitRange', 'ResourceQuota',
]);

/**
 * Jobs by name: a Job's place depends on what it does, which no label says. A new Job must
 * be added here (syncStage throws otherwise), so its order is a decision, not an accident.
 */
export const JOB_STAGES: Readonly<Record<string, SyncStage>> = {
  'mongodb-init': 'datastores',
  'postgresql-init': 'datastores',
  'mistral-db-manage': 'schema',
  'st2-register-content': 'content',
  'st2-load-keys': 'content',
  // An Argo CD PostSync hook: it runs once every wave is healthy; the wave only orders hooks.
  'st2-smoke-test': 'edge',
};

/** Everything else (workloads, Services, autoscalers) by the role of its component. */
const ROLE_STAGES: Readonly<Record<string, SyncStage>> = {
  'database': 'datastores',
  'message-queue': 'datastores',
  'coordination': 'datastores',
  'api': 'processes',
  'backend': 'processes',
  'sensors': 'processes',
  'workflow': 'processes',
  'chatops': 'processes',
  'web': 'processes',
  'edge': 'edge',
};

/** The stage of one object; throws for an object nobody has placed yet. */
export function syncStage(object: WaveSubject): SyncStage {
  if (FOUNDATION_KINDS.has(object.kind)) return 'foundation';
  if (object.kind === 'Job') {
    const stage = JOB_STAGES[object.name];
    if (!stage) throw new Error(`Job ${object.name} has no sync wave: add it to JOB_STAGES in lib/policy/sync-waves.ts`);
    return stage;
  }
  const stage = object.component === undefined ? undefined : ROLE_STAGES[object.component];
  if (!stage) {
    throw new Error(`${object.kind} ${object.name} (component ${object.component ?? 'unset'}) has no sync wave: add its role to ROLE_STAGES in lib/policy/sync-waves.ts`);
  }
  return stage;
}

/** The Argo CD sync wave of one object. */
export function syncWave(object: WaveSubject): number {
  return SYNC_STAGES[syncStage(object)];
}

/**
 * Annotates every Kubernetes object below `scope` with its wave. Call once, after every
 * object exists (labels included). A wave set anywhere else is a second source of truth
 * and throws.
 */
export function applySyncWaves(scope: IConstruct): void {
  for (const child of scope.node.findAll()) {
    if (!(child instanceof ApiObject)) continue;
    const existing = child.metadata.toJson().annotations?.[SYNC_WAVE_ANNOTATION];
    if (existing !== undefined) {
      throw new Error(`${child.kind} ${child.name} already has ${SYNC_WAVE_ANNOTATION}=${existing}: waves are set only by lib/policy/sync-waves.ts`);
    }
    const wave = syncWave({ kind: child.kind, name: child.name, component: child.metadata.getLabel('app.kubernetes.io/component') });
    child.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(wave));
  }
}
