import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { check, SettingError } from './errors';

/** A container image. */
export interface ImageSettings {
  /** Registry and namespace prefix, everything before the repository name, e.g. `docker.io/stackstorm`. @default no prefix (Docker Hub) */
  readonly registry?: string;
  /** Repository name, e.g. `st2api`. */
  readonly repository: string;
  /** Tag; `latest` is refused because a GitOps tool could never tell two of them apart. */
  readonly tag: string;
  /**
   * Content digest, `sha256:<64 hex>`: the image is pulled by digest, so every node runs the
   * same bytes even when the tag is pushed again. @default none
   */
  readonly digest?: string;
  /** When the kubelet pulls. @default IfNotPresent: tags are pinned, so a cached image is the same image */
  readonly pullPolicy?: 'IfNotPresent' | 'Always' | 'Never';
}

/** An OCI content digest as registries print it. */
export const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** `3` or `3.9`: tags StackStorm moves to each new patch release (other projects version differently). */
export const FLOATING_TAG = /^v?[0-9]+(\.[0-9]+)?$/;

export function imageReference(image: ImageSettings, setting: string): string {
  if (!image.tag || image.tag === 'latest') {
    throw new SettingError(`${setting}.tag`, `${JSON.stringify(image.tag)} is not a pinned tag`, 'name a version tag such as 3.9 or 3.9.0');
  }
  if (!/^[a-z0-9][a-z0-9._/-]*$/.test(image.repository)) {
    throw new SettingError(
      `${setting}.repository`,
      `${JSON.stringify(image.repository)} is not an image repository`,
      'use lower-case letters, digits, . _ - and /',
    );
  }
  if (image.digest !== undefined && !DIGEST.test(image.digest)) {
    throw new SettingError(
      `${setting}.digest`,
      `${JSON.stringify(image.digest)} is not an image digest`,
      'write sha256: and the 64 hex digits `docker buildx imagetools inspect` prints',
    );
  }
  const prefix = image.registry ? `${image.registry.replace(/\/+$/, '')}/` : '';
  return `${prefix}${image.repository}:${image.tag}${image.digest ? `@${image.digest}` : ''}`;
}

export function pullPolicy(image: ImageSettings): kplus.ImagePullPolicy {
  switch (image.pullPolicy ?? 'IfNotPresent') {
    case 'Always':
      return kplus.ImagePullPolicy.ALWAYS;
    case 'Never':
      return kplus.ImagePullPolicy.NEVER;
    default:
      return kplus.ImagePullPolicy.IF_NOT_PRESENT;
  }
}

/** How a pod's processes are identified to the kernel. */
export interface RunAs {
  /** Numeric UID; 0 means the image needs root (see docs/operations.md for the exceptions). */
  readonly user: number;
  /** Numeric GID, also used as fsGroup so mounted Secrets and volumes are readable. */
  readonly group: number;
}

/** Container security context for our containers: least privilege unless the image needs root. */
export function containerSecurity(runAs: RunAs, readOnlyRootFilesystem = true): kplus.ContainerSecurityContextProps {
  const root = runAs.user === 0;
  return {
    ensureNonRoot: !root,
    user: runAs.user,
    group: runAs.group,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    // Root images (st2actionrunner, st2web) keep the runtime's default set: they switch
    // users and bind low ports. Everything else runs with none. cdk8s-plus 27 names
    // capabilities with a CAP_ prefix Kubernetes rejects; 'ALL' is what the API expects.
    capabilities: root ? undefined : { drop: ['ALL' as kplus.Capability] },
  };
}

/**
 * The pod security context of `runAs`. `fsGroup` defaults to the group; pods that share a
 * volume pass the one group they all agree on, or each pod's start would re-own the tree
 * for its own group and take it from the others.
 */
export function podSecurity(runAs: RunAs, fsGroup = runAs.group): kplus.PodSecurityContextProps {
  return {
    ensureNonRoot: runAs.user !== 0,
    user: runAs.user,
    group: runAs.group,
    fsGroup,
    fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
  };
}

/** Where a workload's pod spec sits inside its object. */
const POD_SPEC_PATH = '/spec/template/spec';

/**
 * The pod-level settings cdk8s-plus 27 has no API for: the seccomp profile (Pod Security
 * "restricted" requires RuntimeDefault) and topology spread constraints.
 */
export function patchPodSpec(
  workload: kplus.AbstractPod,
  extra: {
    readonly spread?: readonly TopologySpread[];
    readonly selector: Record<string, string>;
    /** CPU architectures the pod's images exist for (`kubernetes.io/arch`). @default any */
    readonly architectures?: readonly string[];
    /** Node selector, tolerations and priority of the workload's placement. @default none */
    readonly placement?: PlacementSettings;
  },
): void {
  const api = ApiObject.of(workload);
  // cdk8s-plus labels pod templates with its own hashed address even when we select by
  // our labels; it carries no meaning for anyone reading the manifests.
  api.addJsonPatch(JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'));
  api.addJsonPatch(JsonPatch.add(`${POD_SPEC_PATH}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
  if (extra.architectures && extra.architectures.length > 0) {
    api.addJsonPatch(
      JsonPatch.add(`${POD_SPEC_PATH}/affinity`, {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: [...extra.architectures] }] }],
          },
        },
      }),
    );
  }
  const placement = extra.placement;
  if (placement?.nodeSelector && Object.keys(placement.nodeSelector).length > 0) {
    api.addJsonPatch(JsonPatch.add(`${POD_SPEC_PATH}/nodeSelector`, { ...placement.nodeSelector }));
  }
  if (placement?.tolerations && placement.tolerations.length > 0) {
    api.addJsonPatch(
      JsonPatch.add(
        `${POD_SPEC_PATH}/tolerations`,
        placement.tolerations.map((t) => ({
          key: t.key,
          operator: t.operator ?? 'Equal',
          value: t.value,
          effect: t.effect,
          tolerationSeconds: t.tolerationSeconds,
        })),
      ),
    );
  }
  if (placement?.priorityClassName) api.addJsonPatch(JsonPatch.add(`${POD_SPEC_PATH}/priorityClassName`, placement.priorityClassName));
  if (extra.spread && extra.spread.length > 0) {
    api.addJsonPatch(
      JsonPatch.add(
        `${POD_SPEC_PATH}/topologySpreadConstraints`,
        extra.spread.map((spread) => ({
          topologyKey: spread.topologyKey,
          maxSkew: 1,
          whenUnsatisfiable: spread.required ? 'DoNotSchedule' : 'ScheduleAnyway',
          labelSelector: { matchLabels: extra.selector },
        })),
      ),
    );
  }
}

/** One topology spread rule. */
export interface TopologySpread {
  /** Node label whose values are the failure domains. */
  readonly topologyKey: 'kubernetes.io/hostname' | 'topology.kubernetes.io/zone';
  /** DoNotSchedule instead of ScheduleAnyway. */
  readonly required: boolean;
}

/** A taint the pods tolerate (Kubernetes' Toleration). */
export interface TolerationSettings {
  /** Taint key; none with `Exists` tolerates every taint. @default none */
  readonly key?: string;
  /** @default 'Equal' */
  readonly operator?: 'Equal' | 'Exists';
  /** Taint value, with `Equal` only. @default none */
  readonly value?: string;
  /** Taint effect; none tolerates every effect. @default none */
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  /**
   * With `NoExecute`: how long a pod stays on a node after the taint appears.
   * @asType integer
   * @minimum 0
   * @default forever
   */
  readonly tolerationSeconds?: number;
}

/**
 * Where pods run. Set once at the top level for every workload; the same keys under a
 * component's own `placement` (st2 components, a datastore's `inCluster`, `edge`) override
 * them key by key for that workload (setting only `nodeSelector` keeps the global
 * tolerations and priority). Jobs take the global placement.
 */
export interface PlacementSettings {
  /**
   * `preferred` spreads replicas across nodes when it can and still schedules on a
   * one-node cluster; `required` refuses to put two replicas on one node.
   * @default 'preferred'
   */
  readonly nodeSpread?: 'preferred' | 'required';
  /**
   * Spread across `topology.kubernetes.io/zone` too (set when the cluster has zones):
   * `preferred` (or `true`) when it can, `required` never two replicas in one zone while
   * another zone has fewer (the failure-domain report then counts zone loss as survived).
   * @default false
   */
  readonly zoneSpread?: boolean | 'preferred' | 'required';
  /** Node labels every pod requires (`nodeSelector`). @default none */
  readonly nodeSelector?: Record<string, string>;
  /** Taints every pod tolerates. @default none */
  readonly tolerations?: readonly TolerationSettings[];
  /** PriorityClass of every pod. @default none: the cluster's default priority */
  readonly priorityClassName?: string;
}

/** `own` over `global`, key by key: what a workload's own `placement` leaves out, the global one gives. */
export function mergePlacement(global: PlacementSettings | undefined, own: PlacementSettings | undefined): PlacementSettings | undefined {
  if (!own) return global;
  if (!global) return own;
  return { ...global, ...Object.fromEntries(Object.entries(own).filter(([, value]) => value !== undefined)) };
}

const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Checks placement settings; `setting` is where they are, e.g. `placement` or `st2.api.placement`. */
export function checkPlacement(placement: PlacementSettings | undefined, setting: string): void {
  if (!placement) return;
  for (const [key, value] of Object.entries(placement.nodeSelector ?? {})) {
    check(LABEL_NAME.test(key), `${setting}.nodeSelector`, `${JSON.stringify(key)} is not a label key`, 'use a label key such as pool or example.com/pool');
    check(
      LABEL_VALUE.test(value),
      `${setting}.nodeSelector.${key}`,
      `${JSON.stringify(value)} is not a label value`,
      'use at most 63 letters, digits, -, _ and .',
    );
  }
  (placement.tolerations ?? []).forEach((toleration, index) => {
    const at = `${setting}.tolerations[${index}]`;
    const operator = toleration.operator ?? 'Equal';
    if (toleration.key !== undefined)
      check(LABEL_NAME.test(toleration.key), `${at}.key`, `${JSON.stringify(toleration.key)} is not a taint key`, 'use a key such as dedicated');
    check(
      operator === 'Exists' || toleration.key !== undefined,
      `${at}.key`,
      'an Equal toleration names no key',
      'name the taint key, or use operator: Exists',
    );
    check(
      operator === 'Equal' || toleration.value === undefined,
      `${at}.value`,
      'an Exists toleration matches any value',
      'remove value, or use operator: Equal',
    );
    check(
      toleration.tolerationSeconds === undefined || toleration.effect === 'NoExecute',
      `${at}.tolerationSeconds`,
      `applies to NoExecute taints only, not ${toleration.effect ?? 'every effect'}`,
      'set effect: NoExecute, or remove tolerationSeconds',
    );
  });
  if (placement.priorityClassName !== undefined) {
    check(
      DNS_SUBDOMAIN.test(placement.priorityClassName),
      `${setting}.priorityClassName`,
      `${JSON.stringify(placement.priorityClassName)} is not a PriorityClass name`,
      'use lower-case letters, digits, - and .',
    );
  }
}

export function spreadFor(replicas: number, placement: PlacementSettings | undefined): TopologySpread[] {
  if (replicas < 2) return [];
  const spread: TopologySpread[] = [{ topologyKey: 'kubernetes.io/hostname', required: (placement?.nodeSpread ?? 'preferred') === 'required' }];
  const zone = placement?.zoneSpread;
  if (zone) spread.push({ topologyKey: 'topology.kubernetes.io/zone', required: zone === 'required' });
  return spread;
}

/** Makes a cdk8s-plus workload select exactly our labels (not its hashed address label). */
export function selectByLabels(workload: kplus.Workload, selector: Record<string, string>, podLabels: Record<string, string>): void {
  for (const [key, value] of Object.entries(podLabels)) workload.podMetadata.addLabel(key, value);
  workload.select(kplus.LabelSelector.of({ labels: selector }));
}

/** Props of {@link labelledDeployment}. */
export interface LabelledDeploymentProps {
  /** Name of the Deployment. */
  readonly name: string;
  /** Replicas. @default none: left to an autoscaler */
  readonly replicas?: number;
  /** Labels that select the pods. */
  readonly selector: Record<string, string>;
  /** The full label set of the pod template. */
  readonly labels: Record<string, string>;
  /** UID/GID of the pod security context. */
  readonly runAs: RunAs;
  /** fsGroup of the pod. @default the group of `runAs` */
  readonly fsGroup?: number;
  /**
   * Rollout strategy.
   * @default rolling, one extra pod at a time and none unavailable, so capacity never drops
   */
  readonly strategy?: kplus.DeploymentStrategy;
  /** Seconds between SIGTERM and SIGKILL. @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /** Pod template annotations, e.g. a checksum of the configuration. @default none */
  readonly podAnnotations?: Record<string, string>;
}

/**
 * A Deployment (construct id `Deployment`) that selects exactly our labels, mounts no API
 * token and runs with the pod security context of `runAs`; the caller adds containers and
 * then calls {@link patchPodSpec}.
 */
export function labelledDeployment(scope: Construct, props: LabelledDeploymentProps): kplus.Deployment {
  const deployment = new kplus.Deployment(scope, 'Deployment', {
    metadata: { name: props.name },
    replicas: props.replicas,
    select: false,
    spread: false,
    automountServiceAccountToken: false,
    strategy:
      props.strategy ??
      kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
    securityContext: podSecurity(props.runAs, props.fsGroup),
    terminationGracePeriod: Duration.seconds(props.terminationGracePeriodSeconds ?? 30),
    podMetadata: props.podAnnotations ? { annotations: { ...props.podAnnotations } } : undefined,
  });
  selectByLabels(deployment, props.selector, props.labels);
  return deployment;
}
