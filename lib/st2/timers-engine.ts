import { Construct } from 'constructs';
import { RESOURCE_PRESETS } from '../common/resources';
import { ComponentSettings } from '../config/component';
import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';

/** Props of {@link St2TimersEngine}. */
export interface St2TimersEngineProps {
  readonly runtime: St2Runtime;
  /** Resources and image; replicas must stay 1. @default 1 replica, small resources */
  readonly settings?: ComponentSettings;
}

/**
 * st2timersengine (2.9+): fires timer triggers. A singleton: two would fire every timer
 * twice. Recreate makes a rollout stop the old pod before the new one starts.
 */
export class St2TimersEngine extends Construct {
  public readonly process: St2Process;

  constructor(scope: Construct, id: string, props: St2TimersEngineProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      name: 'st2timersengine',
      executable: 'st2timersengine',
      role: 'backend',
      setting: 'st2.timersEngine',
      replicas: settings.replicas ?? 1,
      haMode: 'singleton',
      strategy: 'Recreate',
      image: st2Image(props.runtime, 'st2timersengine', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.small,
    });
  }
}
