import { Construct } from 'constructs';
import { RESOURCE_PRESETS } from '../common/resources';
import { ComponentSettings } from '../config/component';
import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';

/** Props of {@link St2Scheduler}. */
export interface St2SchedulerProps {
  readonly runtime: St2Runtime;
  /** Replicas, resources, image. @default 2 replicas, small resources */
  readonly settings?: ComponentSettings;
}

/**
 * st2scheduler (2.10+): moves requested executions to the runners, applying concurrency
 * policies. Active-active; the policies take tooz locks, so more than one replica needs a
 * coordination backend.
 */
export class St2Scheduler extends Construct {
  public readonly process: St2Process;

  constructor(scope: Construct, id: string, props: St2SchedulerProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      name: 'st2scheduler',
      executable: 'st2scheduler',
      role: 'backend',
      setting: 'st2.scheduler',
      replicas: settings.replicas ?? 2,
      haMode: 'active-active',
      needsCoordination: true,
      image: st2Image(props.runtime, 'st2scheduler', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.small,
      mounts: { datastoreKey: true },
    });
  }
}
