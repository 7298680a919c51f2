import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { SettingError } from '../common/errors';
import { RESOURCE_PRESETS } from '../common/resources';
import { labelAll } from '../common/meta';

import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';
import { ActionRunnerSettings } from '../config/st2';
import { ComponentProfile, declareProfile } from '../common/component-profile';

/** Props of {@link St2ActionRunner}. */
export interface St2ActionRunnerProps {
  /**
   * Where `settings` come from, as error messages name them: an app that builds the construct
   * from its own configuration names its own key.
   * @default `st2.actionRunner`, the key in a StackStormHa values file
   */
  readonly setting?: string;
  readonly runtime: St2Runtime;
  /** Replicas or autoscaling, resources, image. @default 3 replicas, large resources */
  readonly settings?: ActionRunnerSettings;
}

/** st2actionrunner: a process like the others, except that its image runs actions as root switching users. */
export const ST2_ACTION_RUNNER_PROFILE: ComponentProfile = {
  name: 'st2actionrunner',
  syncStage: 'processes',
  securityException: {
    rules: ['runAsNonRoot', 'capabilities', 'readOnlyRootFilesystem'],
    level: 'baseline',
    reason:
      "the image runs as root and switches to the stanley user (sudo, needs the default capabilities) to run actions, which write to stanley's home, /opt/stackstorm and /var/spool",
  },
};

/**
 * st2actionrunner: runs actions; active-active, work is spread by RabbitMQ. Concurrency
 * policies and workflow locks need tooz when more than one runs. The image runs as root (it
 * switches to the system user `stanley` with sudo to run local actions), so it keeps the
 * default capabilities and a writable root filesystem (a documented exception); a root
 * init step installs the ssh key of `stanley` owned by stanley. On SIGTERM a 3.x runner
 * stops taking work and waits up to `[actionrunner] exit_still_active_check` seconds for
 * running actions: the grace period is 30 s longer, so Kubernetes never kills a draining
 * runner. st2 2.x runners have no such drain: they get the default 30 s.
 */
export class St2ActionRunner extends Construct {
  public readonly process: St2Process;
  public readonly autoscaler?: kplus.HorizontalPodAutoscaler;

  constructor(scope: Construct, id: string, props: St2ActionRunnerProps) {
    super(scope, id);
    const setting = props.setting ?? 'st2.actionRunner';
    declareProfile(this, ST2_ACTION_RUNNER_PROFILE);
    const settings = props.settings ?? {};
    const autoscaling = settings.autoscaling;
    if (autoscaling) {
      if (settings.replicas !== undefined) {
        throw new SettingError(
          `${setting}.replicas`,
          'set together with autoscaling',
          'remove replicas: the autoscaler owns the count between minReplicas and maxReplicas',
        );
      }
      if (
        !Number.isInteger(autoscaling.minReplicas) ||
        autoscaling.minReplicas < 1 ||
        !Number.isInteger(autoscaling.maxReplicas) ||
        autoscaling.maxReplicas < autoscaling.minReplicas
      ) {
        throw new SettingError(
          `${setting}.autoscaling`,
          `minReplicas ${autoscaling.minReplicas}, maxReplicas ${autoscaling.maxReplicas}`,
          'use whole numbers with 1 <= minReplicas <= maxReplicas',
        );
      }
    }
    const drain = props.runtime.config.conf.actionRunnerDrainSeconds;
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      placement: settings.placement,
      name: 'st2actionrunner',
      executable: 'st2actionrunner',
      role: 'backend',
      setting: setting,
      // The replica check runs on the most the autoscaler may create.
      replicas: autoscaling ? autoscaling.maxReplicas : (settings.replicas ?? 3),
      haMode: 'active-active',
      needsCoordination: true,
      autoscaled: autoscaling !== undefined,
      image: st2Image(props.runtime, 'st2actionrunner', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.large,
      terminationGracePeriodSeconds: drain === undefined ? 30 : drain + 30,
      runAsRoot: true,
      // Actions write where no volume can cover every case: stanley's home (pip, ~/.st2),
      // the working directory /opt/stackstorm, /var/spool for sendmail, and wherever a
      // pack's own scripts write.
      writableRootFilesystem: true,
      // Python actions run as root here and would leave root-owned bytecode caches in the
      // shared packs, which the (non-root) seed step could then not refresh.
      env: { PYTHONDONTWRITEBYTECODE: '1' },
      mounts: { datastoreKey: true, sshKey: true, content: true },
    });
    if (autoscaling) {
      this.autoscaler = new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
        metadata: { name: 'st2actionrunner' },
        target: this.process.workload,
        minReplicas: autoscaling.minReplicas,
        maxReplicas: autoscaling.maxReplicas,
        metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(autoscaling.cpuUtilization ?? 70))],
      });
      labelAll(this.autoscaler, this.process.labels);
    }
  }
}
