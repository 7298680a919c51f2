import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { labelAll } from './meta';
import { patchPodSpec, PlacementSettings, podSecurity, RunAs } from './workload';

/** Props of {@link oneShotJob}. */
export interface OneShotJobProps {
  /** Name of the Job. */
  readonly name: string;
  /** Our labels, on the Job, its pods and everything in `labelScope`. */
  readonly labels: Readonly<Record<string, string>>;
  /** The user its pods run as. */
  readonly runAs: RunAs;
  /** Pods Kubernetes retries after a failure. */
  readonly backoffLimit: number;
  /** How long the Job may run in all. @default no limit */
  readonly activeDeadline?: Duration;
  /**
   * Runs as an Argo CD hook of this phase and replaces its last run on every sync (`Sync` for
   * content and schema, `PostSync` for checks of the finished sync).
   * @default a plain Job
   */
  readonly hook?: 'Sync' | 'PostSync';
  /** CPU architectures its image exists for. @default any node */
  readonly architectures?: readonly string[];
  /** Node selector, tolerations and priority of its pods (Jobs take the global placement). @default none */
  readonly placement?: PlacementSettings;
  /** The construct whose objects get `labels` too (the Job's volumes, ConfigMaps). @default the Job */
  readonly labelScope?: Construct;
}

/**
 * A Job that runs once and is done: no API token, never restarted in place (Kubernetes makes
 * a new pod up to `backoffLimit`), our labels, hardened pods. The caller adds its containers.
 */
export function oneShotJob(scope: Construct, id: string, props: OneShotJobProps): kplus.Job {
  const job = new kplus.Job(scope, id, {
    metadata: {
      name: props.name,
      annotations: props.hook && { 'argocd.argoproj.io/hook': props.hook, 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' },
    },
    backoffLimit: props.backoffLimit,
    activeDeadline: props.activeDeadline,
    automountServiceAccountToken: false,
    securityContext: podSecurity(props.runAs),
    restartPolicy: kplus.RestartPolicy.NEVER,
    select: false,
  } as kplus.JobProps);
  for (const [key, value] of Object.entries(props.labels)) job.podMetadata.addLabel(key, value);
  patchPodSpec(job, { selector: { ...props.labels }, placement: props.placement, architectures: props.architectures });
  labelAll(props.labelScope ?? job, { ...props.labels });
  return job;
}
