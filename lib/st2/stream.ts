import { Construct } from 'constructs';
import { RESOURCE_PRESETS } from '../common/resources';
import { ComponentSettings } from '../config/component';
import { tcpProbe } from '../common/probes';
import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';

export const ST2STREAM_PORT = 9102;
/** `[stream] heartbeat`: every proxy timeout on the path must be longer. */
export const STREAM_HEARTBEAT_SECONDS = 25;

/** Props of {@link St2Stream}. */
export interface St2StreamProps {
  readonly runtime: St2Runtime;
  /** Replicas, resources, image. @default 2 replicas, small resources */
  readonly settings?: ComponentSettings;
}

/**
 * st2stream: the server-sent event stream (port 9102), active-active. Connections are
 * long-lived: when a pod goes, its clients reconnect through the edge to another one (the
 * edge answers a 502 on /stream with `retry: 1000`). The preStop pause lets the endpoint
 * leave the Service before the process closes its streams.
 */
export class St2Stream extends Construct {
  public readonly process: St2Process;

  constructor(scope: Construct, id: string, props: St2StreamProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      name: 'st2stream',
      executable: 'st2stream',
      role: 'api',
      setting: 'st2.stream',
      replicas: settings.replicas ?? 2,
      haMode: 'active-active',
      image: st2Image(props.runtime, 'st2stream', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.small,
      port: ST2STREAM_PORT,
      probes: {
        readiness: tcpProbe(ST2STREAM_PORT, 5, 2),
        liveness: tcpProbe(ST2STREAM_PORT, 20, 3, 30),
      },
      preStopSleepSeconds: 5,
      // Streams end at SIGTERM; a heartbeat period of grace lets in-flight events flush.
      terminationGracePeriodSeconds: STREAM_HEARTBEAT_SECONDS + 10,
    });
  }
}
