import { Construct } from 'constructs';
import { RESOURCE_PRESETS } from '../common/resources';
import { ComponentSettings } from '../config/component';
import { httpProbe, tcpProbe } from '../common/probes';
import { MISTRAL_API_PORT, MISTRAL_PATHS } from './mistral-conf';
import { MistralConfig } from './mistral-config';
import { MistralProcess } from './mistral-process';
import { ComponentProfile, declareProfile } from '../common/component-profile';

/** Props of {@link MistralApi}. */
export interface MistralApiProps {
  readonly config: MistralConfig;
  /** Replicas, resources, image. @default 2 replicas, medium resources */
  readonly settings?: ComponentSettings;
}

export const MISTRAL_API_PROFILE: ComponentProfile = { name: 'mistral-api', syncStage: 'processes' };

/**
 * mistral-api: Mistral's REST API on 8989, active-active behind the Service `mistral-api`
 * and the edge's `/mistral/` (the guide: put it behind the load balancer and have st2 use
 * that). It runs Mistral's own API server (`mistral-server --server api`). `GET /` lists
 * the API versions without authentication, so readiness is an HTTP check; liveness only
 * asks whether the port accepts connections.
 */
export class MistralApi extends Construct {
  public readonly process: MistralProcess;

  constructor(scope: Construct, id: string, props: MistralApiProps) {
    super(scope, id);
    declareProfile(this, MISTRAL_API_PROFILE);
    const settings = props.settings ?? {};
    this.process = new MistralProcess(this, 'Process', {
      config: props.config,
      name: 'mistral-api',
      setting: 'mistral.api',
      replicas: settings.replicas ?? 2,
      image: settings.image,
      placement: settings.placement,
      command: [`${MISTRAL_PATHS.bin}/mistral-server`, '--server', 'api', '--config-file', MISTRAL_PATHS.config],
      resources: settings.resources ?? RESOURCE_PRESETS.medium,
      port: MISTRAL_API_PORT,
      readiness: httpProbe('/', MISTRAL_API_PORT, 5, 2),
      liveness: tcpProbe(MISTRAL_API_PORT, 20, 3, 30),
      preStopSleepSeconds: 5,
    });
  }
}
