import { Construct } from 'constructs';
import { check, SettingError } from '../common/errors';
import { RESOURCE_PRESETS } from '../common/resources';
import { IniDocument } from '../common/ini';

import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';
import { NotifierSettings } from '../config/st2';
import { ComponentProfile, declareProfile } from '../common/component-profile';

/** Props of {@link St2Notifier}. */
export interface St2NotifierProps {
  /**
   * Where `settings` come from, as error messages name them: an app that builds the construct
   * from its own configuration names its own key.
   * @default `st2.notifier`, the key in a StackStormHa values file
   */
  readonly setting?: string;
  readonly runtime: St2Runtime;
  /** Replicas, resources, image. @default 2 replicas, small resources */
  readonly settings?: NotifierSettings;
  /** st2 2.x: the notifier carries the backup scheduler. @default false (3.x: st2scheduler does the scheduling) */
  readonly legacyBackupScheduler?: boolean;
}

/** The 2.x backup scheduler's options (values from st2's own defaults). */
export function backupSchedulerOverrides(enable: boolean): IniDocument {
  return { scheduler: enable ? { enable: true, rescheduling_interval: 300, delayed_execution_recovery: 600 } : { enable: false } };
}

/**
 * Where the 2.x backup scheduler runs: on every notifier when a coordination backend
 * guards it, else on exactly one. Throws when `all` is asked for without a backend.
 */
export function backupSchedulerPlacement(runtime: Pick<St2Runtime, 'config'>, requested?: 'all' | 'one'): 'all' | 'one' {
  const coordinated = runtime.config.conf.coordination.backend !== 'none';
  const placement = requested ?? (coordinated ? 'all' : 'one');
  check(placement === 'all' || placement === 'one', 'st2.notifier.backupScheduler', `${JSON.stringify(placement)} is not a placement`, 'use all or one');
  check(
    placement === 'one' || coordinated,
    'st2.notifier.backupScheduler',
    'the backup scheduler on every notifier without a coordination backend would reschedule the same executions more than once',
    'set datastores.coordination.backend to redis-sentinel, zookeeper or external, or set st2.notifier.backupScheduler to one',
  );
  return placement;
}

export const ST2_NOTIFIER_PROFILE: ComponentProfile = { name: 'st2notifier', syncStage: 'processes' };
/** 2.x without coordination: the notifier that also runs the backup scheduler. */
export const ST2_NOTIFIER_SCHEDULER_PROFILE: ComponentProfile = {
  name: 'st2notifier-scheduler',
  syncStage: 'processes',
  byDesign: { mode: 'singleton', reason: '2.x without coordination: the one notifier that runs the backup scheduler' },
};

/**
 * st2notifier: turns finished executions into action and notify triggers. Active-active;
 * its replicas take tooz locks, so more than one needs a coordination backend.
 *
 * In st2 2.x it is also the backup scheduler for executions left unscheduled. The guide:
 * with more than one notifier, either a coordination backend (ZooKeeper or Redis) guards
 * it and all may run it, or it is disabled on all but one. Without a backend this builds
 * `st2notifier` (scheduler off, any number of replicas: the guide asks for coordination
 * only for the scheduler) and `st2notifier-scheduler` (one replica, scheduler on,
 * Recreate).
 */
export class St2Notifier extends Construct {
  public readonly process: St2Process;
  /** The one notifier running the backup scheduler, when it runs on one only (2.x). */
  public readonly schedulerHolder?: St2Process;

  constructor(scope: Construct, id: string, props: St2NotifierProps) {
    super(scope, id);
    const setting = props.setting ?? 'st2.notifier';
    declareProfile(this, ST2_NOTIFIER_PROFILE);
    const settings = props.settings ?? {};
    const common = {
      runtime: props.runtime,
      executable: 'st2notifier',
      role: 'backend' as const,
      image: st2Image(props.runtime, 'st2notifier', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.small,
      placement: settings.placement,
    };
    if (!props.legacyBackupScheduler) {
      if (settings.backupScheduler) {
        throw new SettingError(
          `${setting}.backupScheduler`,
          'the 3.x topology has no backup scheduler in st2notifier (st2scheduler schedules)',
          'remove st2.notifier.backupScheduler, or set release.topology to 2.x-mistral',
        );
      }
      this.process = new St2Process(this, 'Process', {
        ...common,
        name: 'st2notifier',
        setting: setting,
        replicas: settings.replicas ?? 2,
        haMode: 'active-active',
        needsCoordination: true,
      });
      return;
    }
    const placement = backupSchedulerPlacement(props.runtime, settings.backupScheduler);
    this.process = new St2Process(this, 'Process', {
      ...common,
      name: 'st2notifier',
      setting: setting,
      replicas: settings.replicas ?? 2,
      haMode: 'active-active',
      needsCoordination: placement === 'all',
      overrides: backupSchedulerOverrides(placement === 'all'),
    });
    if (placement === 'one') {
      this.schedulerHolder = new St2Process(this, 'SchedulerHolder', {
        ...common,
        name: 'st2notifier-scheduler',
        setting: setting,
        replicas: 1,
        haMode: 'singleton',
        overrides: backupSchedulerOverrides(true),
      });
      declareProfile(this.schedulerHolder, ST2_NOTIFIER_SCHEDULER_PROFILE);
    }
  }
}
