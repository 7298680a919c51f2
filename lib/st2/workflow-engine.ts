import { Construct } from 'constructs';
import { RESOURCE_PRESETS } from '../common/resources';
import { ComponentSettings } from '../config/component';
import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';

/** Props of {@link St2WorkflowEngine}. */
export interface St2WorkflowEngineProps {
  readonly runtime: St2Runtime;
  /** Replicas, resources, image. @default 2 replicas, medium resources */
  readonly settings?: ComponentSettings;
}

/**
 * st2workflowengine (Orquesta, 2.8+): active-active; parallel branches of one workflow
 * land on different replicas and are serialised by tooz locks, so more than one replica
 * needs a coordination backend. On SIGTERM it finishes what it holds for up to
 * `[workflow_engine] exit_still_active_check` seconds: the grace period is longer.
 */
export class St2WorkflowEngine extends Construct {
  public readonly process: St2Process;

  constructor(scope: Construct, id: string, props: St2WorkflowEngineProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    const drain = props.runtime.config.conf.workflowEngineDrainSeconds ?? 300;
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      name: 'st2workflowengine',
      executable: 'st2workflowengine',
      role: 'workflow',
      setting: 'st2.workflowEngine',
      replicas: settings.replicas ?? 2,
      haMode: 'active-active',
      needsCoordination: true,
      image: st2Image(props.runtime, 'st2workflowengine', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.medium,
      terminationGracePeriodSeconds: drain + 30,
      mounts: { datastoreKey: true, content: true },
    });
  }
}
