import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { componentLabels, labelAll } from '../common/meta';
import { patchPodSpec, podSecurity } from '../common/workload';
import { St2Runtime } from './st2-process';

/** Props of {@link st2HookJob}. */
export interface St2HookJobProps {
  readonly runtime: St2Runtime;
  /** Name of the Job (and its `app.kubernetes.io/name`). */
  readonly name: string;
  /** The Argo CD hook phase it runs in: `Sync` for content, `PostSync` for checks of the finished sync. */
  readonly phase: 'Sync' | 'PostSync';
  /** Pods Kubernetes retries after a failure. */
  readonly backoffLimit: number;
  /** How long the Job may run in all. */
  readonly activeDeadline: Duration;
}

/**
 * A Job run as the st2 user: an Argo CD hook of `phase` that replaces its last run on
 * every sync (its wave from the caller's profile), no API token, our labels,
 * scheduled where the st2 images exist. The caller adds its containers.
 */
export function st2HookJob(scope: Construct, id: string, props: St2HookJobProps): kplus.Job {
  const { runtime } = props;
  const job = new kplus.Job(scope, id, {
    metadata: {
      name: props.name,
      annotations: {
        'argocd.argoproj.io/hook': props.phase,
        'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      },
    },
    backoffLimit: props.backoffLimit,
    activeDeadline: props.activeDeadline,
    automountServiceAccountToken: false,
    securityContext: podSecurity(runtime.st2User),
    restartPolicy: kplus.RestartPolicy.NEVER,
    select: false,
  } as kplus.JobProps);
  const labels = componentLabels(runtime.identity, props.name, 'job', runtime.release.version);
  for (const [key, value] of Object.entries(labels)) job.podMetadata.addLabel(key, value);
  patchPodSpec(job, { selector: labels, architectures: runtime.release.architectures });
  labelAll(job, labels);
  return job;
}
