import { Construct } from 'constructs';
import { RESOURCE_PRESETS } from '../common/resources';
import { IniDocument } from '../common/ini';
import { ComponentSettings } from '../config/settings';
import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';

/** Props of {@link St2Notifier}. */
export interface St2NotifierProps {
  readonly runtime: St2Runtime;
  /** Replicas, resources, image. @default 2 replicas, small resources */
  readonly settings?: ComponentSettings;
  /** Process-only st2.conf settings (the 2.x backup scheduler). @default none */
  readonly overrides?: IniDocument;
  /** Kubernetes name. @default 'st2notifier' */
  readonly name?: string;
}

/**
 * st2notifier: turns finished executions into action and notify triggers. Active-active;
 * its replicas take tooz locks, so more than one needs a coordination backend.
 */
export class St2Notifier extends Construct {
  public readonly process: St2Process;

  constructor(scope: Construct, id: string, props: St2NotifierProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      name: props.name ?? 'st2notifier',
      executable: 'st2notifier',
      role: 'backend',
      setting: 'st2.notifier',
      replicas: settings.replicas ?? 2,
      haMode: 'active-active',
      needsCoordination: true,
      image: st2Image(props.runtime, 'st2notifier', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.small,
      overrides: props.overrides,
    });
  }
}
