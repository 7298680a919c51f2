import { Construct } from 'constructs';
import { RESOURCE_PRESETS } from '../common/resources';
import { ComponentSettings } from '../config/component';
import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';

/** Props of {@link St2ResultsTracker}. */
export interface St2ResultsTrackerProps {
  readonly runtime: St2Runtime;
  /** Replicas, resources, image. @default 2 replicas, small resources */
  readonly settings?: ComponentSettings;
}

/**
 * st2resultstracker (st2 2.x, removed in 3.4): polls Mistral for the results of the
 * workflows st2 handed over. Active-active: the replicas share the work queue, and the
 * tracking jobs are also stored in MongoDB, so at start every replica may pick up the same
 * set once (harmless duplicate polling, as the guide says) before work is round-robined.
 */
export class St2ResultsTracker extends Construct {
  public readonly process: St2Process;

  constructor(scope: Construct, id: string, props: St2ResultsTrackerProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      name: 'st2resultstracker',
      executable: 'st2resultstracker',
      role: 'workflow',
      setting: 'st2.resultsTracker',
      replicas: settings.replicas ?? 2,
      haMode: 'active-active',
      image: st2Image(props.runtime, 'st2resultstracker', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.small,
    });
  }
}
