import { Construct } from 'constructs';
import { SettingError } from '../common/errors';
import { RESOURCE_PRESETS } from '../common/resources';

import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';
import { RulesEngineSettings } from '../config/st2';
import { ComponentProfile, declareProfile } from '../common/component-profile';

/** Props of {@link St2RulesEngine}. */
export interface St2RulesEngineProps {
  /**
   * Where `settings` come from, as error messages name them: an app that builds the construct
   * from its own configuration names its own key.
   * @default `st2.rulesEngine`, the key in a StackStormHa values file
   */
  readonly setting?: string;
  readonly runtime: St2Runtime;
  /** Replicas, resources, image. @default 2 replicas, small resources */
  readonly settings?: RulesEngineSettings;
  /**
   * st2 2.x: the rules engine runs the timers. @default false (3.x: st2timersengine does)
   */
  readonly timersInRulesEngine?: boolean;
}

export const ST2_RULES_ENGINE_PROFILE: ComponentProfile = { name: 'st2rulesengine', syncStage: 'processes' };
/** 2.x: the rules engine that also fires timers. */
export const ST2_RULES_ENGINE_TIMERS_PROFILE: ComponentProfile = {
  name: 'st2rulesengine-timers',
  syncStage: 'processes',
  byDesign: { mode: 'singleton', reason: '2.x: the one rules engine that runs timers; a second would fire every timer twice' },
};

/**
 * st2rulesengine: evaluates rules on trigger instances; active-active, the replicas share
 * the work through RabbitMQ. In 3.x the timers run in st2timersengine, so every replica
 * here is identical.
 *
 * In st2 2.x every rules engine also runs the timers, and timers are not HA-safe: two
 * running would fire every timer twice. The guide's remedy is to disable them on all but
 * one. Replicas of one Deployment cannot differ in configuration, so the active-active set
 * is two Deployments: `st2rulesengine` (timers off through the shared st2.conf, any number
 * of replicas) and `st2rulesengine-timers` (exactly one replica, `[timer] enable = True` in
 * its own overrides file, rolled with Recreate so old and new never run together). Both
 * evaluate rules; only the second fires timers. While it restarts, timers pause and rules
 * keep being evaluated by the others.
 */
export class St2RulesEngine extends Construct {
  public readonly process: St2Process;
  /** The one rules engine that runs the timers (2.x only). */
  public readonly timerHolder?: St2Process;

  constructor(scope: Construct, id: string, props: St2RulesEngineProps) {
    super(scope, id);
    const setting = props.setting ?? 'st2.rulesEngine';
    declareProfile(this, ST2_RULES_ENGINE_PROFILE);
    const settings = props.settings ?? {};
    if (settings.timers && !props.timersInRulesEngine) {
      throw new SettingError(
        `${setting}.timers`,
        'the 3.x topology runs timers in st2timersengine, not in a rules engine',
        'remove st2.rulesEngine.timers (size st2.timersEngine instead), or set release.topology to 2.x-mistral',
      );
    }
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      placement: settings.placement,
      name: 'st2rulesengine',
      executable: 'st2rulesengine',
      role: 'backend',
      setting: setting,
      replicas: settings.replicas ?? 2,
      haMode: 'active-active',
      image: st2Image(props.runtime, 'st2rulesengine', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.small,
      mounts: { datastoreKey: true },
    });
    if (props.timersInRulesEngine) {
      const timers = settings.timers ?? {};
      this.timerHolder = new St2Process(this, 'TimerHolder', {
        runtime: props.runtime,
        placement: settings.placement,
        name: 'st2rulesengine-timers',
        executable: 'st2rulesengine',
        role: 'backend',
        setting: `${setting}.timers`,
        replicas: timers.replicas ?? 1,
        haMode: 'singleton',
        image: st2Image(props.runtime, 'st2rulesengine', { ...settings.image, ...timers.image }),
        resources: timers.resources ?? settings.resources ?? RESOURCE_PRESETS.small,
        overrides: { timer: { enable: true } },
        mounts: { datastoreKey: true },
      });
      declareProfile(this.timerHolder, ST2_RULES_ENGINE_TIMERS_PROFILE);
    }
  }
}
