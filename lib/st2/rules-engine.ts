import { Construct } from 'constructs';
import { RESOURCE_PRESETS } from '../common/resources';
import { ComponentSettings } from '../config/settings';
import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';

/** Props of {@link St2RulesEngine}. */
export interface St2RulesEngineProps {
  readonly runtime: St2Runtime;
  /** Replicas, resources, image. @default 2 replicas, small resources */
  readonly settings?: ComponentSettings;
}

/**
 * st2rulesengine: evaluates rules on trigger instances; active-active, the replicas share
 * the work through RabbitMQ. In 3.x the timers run in st2timersengine, so every replica
 * here is identical.
 */
export class St2RulesEngine extends Construct {
  public readonly process: St2Process;

  constructor(scope: Construct, id: string, props: St2RulesEngineProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      name: 'st2rulesengine',
      executable: 'st2rulesengine',
      role: 'backend',
      setting: 'st2.rulesEngine',
      replicas: settings.replicas ?? 2,
      haMode: 'active-active',
      image: st2Image(props.runtime, 'st2rulesengine', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.small,
      mounts: { datastoreKey: true },
    });
  }
}
