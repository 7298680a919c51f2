import { Construct } from 'constructs';
import { RESOURCE_PRESETS } from '../common/resources';
import { SettingError } from '../common/errors';
import { ComponentSettings } from '../config/component';
import { GarbageCollectionTtls } from '../config/st2';
import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';

/** Props of {@link St2GarbageCollector}. */
export interface St2GarbageCollectorProps {
  readonly runtime: St2Runtime;
  /** Resources and image; replicas must stay 1. @default 1 replica, small resources */
  readonly settings?: ComponentSettings;
}

/**
 * st2garbagecollector: purges old executions and trigger data by the TTLs in st2.conf.
 * The guide calls it a singleton that does nothing until configured; StackStormHa only
 * builds it when at least one TTL is set.
 */
export class St2GarbageCollector extends Construct {
  public readonly process: St2Process;

  constructor(scope: Construct, id: string, props: St2GarbageCollectorProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      name: 'st2garbagecollector',
      executable: 'st2garbagecollector',
      role: 'backend',
      setting: 'st2.garbageCollector',
      replicas: settings.replicas ?? 1,
      haMode: 'singleton',
      strategy: 'Recreate',
      image: st2Image(props.runtime, 'st2garbagecollector', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.small,
    });
  }
}

/** Checks TTLs: whole days, at least 1 (st2 ignores smaller values), at least one set. */
export function checkGarbageCollectionTtls(ttl: GarbageCollectionTtls, setting = 'st2.garbageCollector.ttl'): void {
  const entries = Object.entries(ttl).filter(([, days]) => days !== undefined);
  if (entries.length === 0) {
    throw new SettingError(setting, 'no TTL is set, so the collector would do nothing', 'set at least one TTL in days (e.g. actionExecutionsDays: 30), or disable the collector');
  }
  for (const [key, days] of entries) {
    if (!Number.isInteger(days) || (days as number) < 1) {
      throw new SettingError(`${setting}.${key}`, `${JSON.stringify(days)} days`, 'use a whole number of days, at least 1 (st2 ignores smaller TTLs)');
    }
  }
}
