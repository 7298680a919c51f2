import { Construct } from 'constructs';
import { RESOURCE_PRESETS } from '../common/resources';
import { ComponentSettings } from '../config/component';
import { httpProbe, tcpProbe } from '../common/probes';
import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';

export const ST2AUTH_PORT = 9100;

/** Props of {@link St2Auth}. */
export interface St2AuthProps {
  readonly runtime: St2Runtime;
  /** Replicas, resources, image. @default 2 replicas, small resources */
  readonly settings?: ComponentSettings;
}

/**
 * st2auth: issues tokens (port 9100), active-active behind the edge. Every replica reads
 * the same htpasswd Secret, which the guide requires ("all st2auth processes should see the
 * same identities"). `GET /v1/sso` answers without credentials, so readiness is real HTTP.
 */
export class St2Auth extends Construct {
  public readonly process: St2Process;

  constructor(scope: Construct, id: string, props: St2AuthProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      name: 'st2auth',
      executable: 'st2auth',
      role: 'api',
      setting: 'st2.auth',
      replicas: settings.replicas ?? 2,
      haMode: 'active-active',
      image: st2Image(props.runtime, 'st2auth', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.small,
      port: ST2AUTH_PORT,
      probes: {
        readiness: httpProbe('/v1/sso', ST2AUTH_PORT, 5, 2),
        liveness: tcpProbe(ST2AUTH_PORT, 20, 3, 30),
      },
      preStopSleepSeconds: 5,
      mounts: { htpasswd: true },
    });
  }
}
