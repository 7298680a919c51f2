import { IConstruct } from 'constructs';

/**
 * What a component says about itself, in its own file: where its objects go in the apply
 * order, where its pods depart from the hardening baseline and why, and whether running
 * fewer than two copies is its design. The sync waves, the namespace's Pod Security level,
 * the policy tests and the failure-domain report read these; no central list decides them.
 */
export interface ComponentProfile {
  /** `app.kubernetes.io/name` of its pods and objects. */
  readonly name: string;
  /**
   * Other names its pods carry, e.g. one Deployment per named sensor partition.
   * @default only `name`
   */
  readonly namePattern?: RegExp;
  /**
   * Where its workloads, Services and Jobs go in the apply order. Kinds nothing waits for
   * (ConfigMaps, claims, policies, RBAC) always go to `foundation`, whatever the profile says.
   */
  readonly syncStage: SyncStage;
  /**
   * A documented departure from Pod Security `restricted` plus a read-only root filesystem.
   * @default none: the pods meet both
   */
  readonly securityException?: SecurityException;
  /**
   * Why one copy (or one pod per partition) is right and two would be wrong.
   * @default none: the component runs redundant replicas
   */
  readonly byDesign?: ByDesign;
}

/**
 * Apply order for GitOps tools. Argo CD applies one wave, waits until everything in it is
 * healthy (a Job: completed), then applies the next; plain `kubectl apply -f dist/<env>/`
 * ignores waves and relies on the same order being safe out of order: every process waits
 * for its datastores in its `prepare` init container, and every Job is idempotent.
 */
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

/** A Pod Security Standards level. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** The hardening rules a component may be excepted from. */
export type SecurityRule =
  /** PSS restricted: runAsNonRoot true and no UID 0. */
  | 'runAsNonRoot'
  /** PSS restricted: drop ALL capabilities (add at most NET_BIND_SERVICE). */
  | 'capabilities'
  /** Practice (kube-score, Polaris), not a PSS rule: a read-only root filesystem. */
  | 'readOnlyRootFilesystem';

/** One documented departure from "restricted + read-only root filesystem". */
export interface SecurityException {
  /** Rules its containers do not meet. */
  readonly rules: readonly SecurityRule[];
  /** The highest Pod Security level the component still meets. */
  readonly level: PodSecurityLevel;
  /** Why (mirrored in docs/operations.md). */
  readonly reason: string;
}

/** A component that runs fewer than two copies on purpose. */
export interface ByDesign {
  /** One pod in all (`singleton`), or one pod per partition, none of them replicas (`partition`). */
  readonly mode: 'singleton' | 'partition';
  readonly reason: string;
}

const declared = new WeakMap<IConstruct, ComponentProfile>();

/** Marks `construct` and everything below it as `profile`'s component. */
export function declareProfile(construct: IConstruct, profile: ComponentProfile): void {
  declared.set(construct, profile);
}

/** The profile of the nearest construct above (or at) `construct` that declares one. */
export function profileOf(construct: IConstruct): ComponentProfile | undefined {
  const scopes = construct.node.scopes;
  for (let i = scopes.length - 1; i >= 0; i--) {
    const profile = declared.get(scopes[i]);
    if (profile) return profile;
  }
  return undefined;
}

/** Every profile declared in `scope`'s tree, once each. */
export function profilesIn(scope: IConstruct): ComponentProfile[] {
  return [
    ...new Set(
      scope.node
        .findAll()
        .map((construct) => declared.get(construct))
        .filter((p): p is ComponentProfile => p !== undefined),
    ),
  ];
}

/** The profile whose pods carry `name`, among `profiles`. */
export function profileNamed(profiles: readonly ComponentProfile[], name: string): ComponentProfile | undefined {
  return profiles.find((profile) => profile.name === name) ?? profiles.find((profile) => profile.namePattern?.test(name));
}
