import { Construct } from 'constructs';
import { RESOURCE_PRESETS } from '../common/resources';
import { ComponentSettings } from '../config/component';
import { tcpProbe } from '../common/probes';
import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';

export const ST2API_PORT = 9101;

/** Props of {@link St2Api}. */
export interface St2ApiProps {
  readonly runtime: St2Runtime;
  /** Replicas, resources, image. @default 2 replicas, medium resources */
  readonly settings?: ComponentSettings;
}

/**
 * st2api: the REST API (gunicorn, port 9101), active-active behind the edge. st2 has no
 * unauthenticated health endpoint on it (st2 issue 4020), so probes are TCP: readiness
 * takes a pod out of the Service within 10 s, liveness restarts it only after a minute
 * of refused connections.
 */
export class St2Api extends Construct {
  public readonly process: St2Process;

  constructor(scope: Construct, id: string, props: St2ApiProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      name: 'st2api',
      executable: 'st2api',
      role: 'api',
      setting: 'st2.api',
      replicas: settings.replicas ?? 2,
      haMode: 'active-active',
      image: st2Image(props.runtime, 'st2api', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.medium,
      port: ST2API_PORT,
      probes: {
        readiness: tcpProbe(ST2API_PORT, 5, 2),
        liveness: tcpProbe(ST2API_PORT, 20, 3, 30),
      },
      preStopSleepSeconds: 5,
      mounts: { datastoreKey: true, content: true },
    });
  }
}
