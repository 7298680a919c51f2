import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { profileOf, SYNC_STAGES, SyncStage } from '../common/component-profile';

export { SYNC_STAGES } from '../common/component-profile';
export type { SyncStage } from '../common/component-profile';

/**
 * Apply order for GitOps tools (see SYNC_STAGES): kinds nothing waits for go first, and
 * everything else goes where its component's profile says, declared in the component's own
 * file. Plain `kubectl apply -f dist/<env>/` ignores waves and relies on the same order being
 * safe out of order: every process waits for its datastores in its `prepare` init container,
 * and every Job is idempotent, so re-running one is harmless.
 */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** Kinds nothing depends on being healthy: applied before any workload. */
export const FOUNDATION_KINDS: ReadonlySet<string> = new Set([
  'Namespace',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'PersistentVolumeClaim',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'NetworkPolicy',
  'PodDisruptionBudget',
  'LimitRange',
  'ResourceQuota',
]);

/** The stage of one object; throws for an object no component profile places. */
export function syncStage(object: ApiObject): SyncStage {
  if (FOUNDATION_KINDS.has(object.kind)) return 'foundation';
  const profile = profileOf(object);
  if (!profile) {
    throw new Error(
      `${object.kind} ${object.name} (${object.node.path}) has no sync wave: declare its component's profile (declareProfile in the construct that builds it)`,
    );
  }
  return profile.syncStage;
}

/**
 * Annotates every Kubernetes object below `scope` with its wave. Call once, after every
 * object exists. A wave set anywhere else is a second source of truth and throws.
 */
export function applySyncWaves(scope: IConstruct): void {
  for (const child of scope.node.findAll()) {
    if (!(child instanceof ApiObject)) continue;
    const existing = child.metadata.toJson().annotations?.[SYNC_WAVE_ANNOTATION];
    if (existing !== undefined) {
      throw new Error(
        `${child.kind} ${child.name} already has ${SYNC_WAVE_ANNOTATION}=${existing}: waves come from component profiles only (lib/policy/sync-waves.ts)`,
      );
    }
    child.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(SYNC_STAGES[syncStage(child)]));
  }
}
