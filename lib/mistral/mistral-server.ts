import { Construct } from 'constructs';
import { RESOURCE_PRESETS } from '../common/resources';
import { ComponentSettings } from '../config/component';
import { MISTRAL_PATHS } from './mistral-conf';
import { MistralConfig } from './mistral-config';
import { MistralProcess } from './mistral-process';
import { ComponentProfile, declareProfile } from '../common/component-profile';

/** Props of {@link MistralServer}. */
export interface MistralServerProps {
  readonly config: MistralConfig;
  /** Replicas, resources, image. @default 2 replicas, large resources (it runs the actions' workflows) */
  readonly settings?: ComponentSettings;
}

export const MISTRAL_SERVER_PROFILE: ComponentProfile = { name: 'mistral-server', syncStage: 'processes' };

/**
 * mistral-server: Mistral's engine, executor and notifier in one process, active-active;
 * the replicas share work through RabbitMQ and keep state in PostgreSQL. It calls back
 * to st2 through the load balancer (`[mistral] api_url` in st2.conf). It serves no port
 * and has no health command, so, like st2's backend processes, it has no probe; losing
 * RabbitMQ or PostgreSQL is retried inside the process (oslo.messaging, SQLAlchemy).
 */
export class MistralServer extends Construct {
  public readonly process: MistralProcess;

  constructor(scope: Construct, id: string, props: MistralServerProps) {
    super(scope, id);
    declareProfile(this, MISTRAL_SERVER_PROFILE);
    const settings = props.settings ?? {};
    this.process = new MistralProcess(this, 'Process', {
      config: props.config,
      name: 'mistral-server',
      setting: 'mistral.server',
      replicas: settings.replicas ?? 2,
      image: settings.image,
      placement: settings.placement,
      command: [`${MISTRAL_PATHS.bin}/mistral-server`, '--server', 'engine,executor,notifier', '--config-file', MISTRAL_PATHS.config],
      resources: settings.resources ?? RESOURCE_PRESETS.large,
    });
  }
}
