import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { oneShotJob } from '../common/job';
import { componentLabels } from '../common/meta';
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
  return oneShotJob(scope, id, {
    name: props.name,
    labels: componentLabels(runtime.identity, props.name, 'job', runtime.release.version),
    runAs: runtime.st2User,
    backoffLimit: props.backoffLimit,
    activeDeadline: props.activeDeadline,
    hook: props.phase,
    architectures: runtime.release.architectures,
    placement: runtime.placement,
  });
}
