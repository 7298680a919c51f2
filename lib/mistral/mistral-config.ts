import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ReleaseIdentity } from '../common/meta';
import { RESOURCE_PRESETS, ResourceSettings, toContainerResources } from '../common/resources';
import { containerSecurity, ImageSettings, imageReference, PlacementSettings, pullPolicy, RunAs } from '../common/workload';
import { PostgresEndpoint, RabbitMqEndpoint, SecretKeyRef } from '../config/endpoints';
import { prepareScript } from '../common/prepare-script';
import { contentHash } from '../common/hash';
import { MISTRAL_PATHS, MISTRAL_SECRET_ENV, renderMistralConfTemplate } from './mistral-conf';

/** Props of {@link MistralConfig}. */
export interface MistralConfigProps {
  readonly identity: ReleaseIdentity;
  readonly rabbit: RabbitMqEndpoint;
  readonly postgres: PostgresEndpoint;
  /** Image of every Mistral process (Mistral with the st2mistral plugin). */
  readonly image: ImageSettings;
  /** UID/GID the Mistral processes run as. */
  readonly runAs: RunAs;
  /** `app.kubernetes.io/version` of the Mistral objects. */
  readonly version: string;
  /** CPU architectures the images exist for. @default any */
  readonly architectures?: readonly string[];
  readonly placement?: PlacementSettings;
}

/**
 * The ConfigMap `mistral-config` every Mistral pod mounts (the mistral.conf template and
 * the script that fills it in), and what those pods share: image, user, Secrets and the
 * datastores to wait for.
 */
export class MistralConfig extends Construct {
  public readonly configMap: kplus.ConfigMap;
  public readonly files: Readonly<Record<string, string>>;
  public readonly hash: string;
  public readonly props: MistralConfigProps;

  constructor(scope: Construct, id: string, props: MistralConfigProps) {
    super(scope, id);
    this.props = props;
    this.files = {
      'mistral.conf.template': renderMistralConfTemplate({ rabbit: props.rabbit, postgres: props.postgres }),
      'prepare.py': prepareScript(),
    };
    this.configMap = new kplus.ConfigMap(this, 'Resource', { metadata: { name: 'mistral-config' }, data: { ...this.files } });
    this.hash = contentHash(this.files);
  }
}

/** What {@link addMistralContainers} puts into a pod. */
export interface MistralContainersOptions {
  readonly config: MistralConfig;
  /** Setting path for error messages, e.g. `mistral.api`. */
  readonly setting: string;
  readonly containerName: string;
  /** Image fields overriding the shared Mistral image. @default the shared image */
  readonly image?: Partial<ImageSettings>;
  readonly command: readonly string[];
  readonly resources: ResourceSettings;
  readonly port?: number;
  readonly readiness?: kplus.Probe;
  readonly liveness?: kplus.Probe;
  readonly startup?: kplus.Probe;
  readonly preStopSleepSeconds?: number;
  /**
   * Datastores the `prepare` step waits for. The schema Job talks only to PostgreSQL, and
   * its NetworkPolicy allows nothing else, so it must not wait for RabbitMQ.
   * @default ['rabbitmq', 'postgresql']
   */
  readonly waitFor?: readonly ('rabbitmq' | 'postgresql')[];
}

function secretEnv(scope: Construct, id: string, ref: SecretKeyRef): kplus.EnvValue {
  return kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(scope, id, ref.name), key: ref.key });
}

/**
 * Adds the `prepare` init container (wait for RabbitMQ and PostgreSQL, write
 * /etc/mistral/mistral.conf from the template and the Secrets into memory) and the Mistral
 * container to a pod. Deployments and the schema Job both use it.
 */
export function addMistralContainers(scope: Construct, pod: kplus.AbstractPod, options: MistralContainersOptions): kplus.Container {
  const { config } = options;
  const { props } = config;
  const image: ImageSettings = { ...props.image, ...options.image };
  const imageRef = imageReference(image, `${options.setting}.image`);
  const env: Record<string, kplus.EnvValue> = {
    [MISTRAL_SECRET_ENV.rabbitPassword]: secretEnv(scope, 'RabbitPassword', props.rabbit.password),
    [MISTRAL_SECRET_ENV.postgresPassword]: secretEnv(scope, 'PostgresPassword', props.postgres.password),
  };
  const prepare = pod.addInitContainer({
    name: 'prepare',
    image: imageRef,
    imagePullPolicy: pullPolicy(image),
    command: [
      `${MISTRAL_PATHS.bin}/python`,
      MISTRAL_PATHS.prepareScript,
      MISTRAL_PATHS.template,
      MISTRAL_PATHS.config,
      ...(options.waitFor ?? ['rabbitmq', 'postgresql']).map((store) => (store === 'rabbitmq' ? props.rabbit.hosts.join(',') : props.postgres.host)),
    ],
    envVariables: env,
    resources: toContainerResources(RESOURCE_PRESETS.tiny, `${options.setting}.prepare`),
    securityContext: containerSecurity(props.runAs),
  });
  const container = pod.addContainer({
    name: options.containerName,
    image: imageRef,
    imagePullPolicy: pullPolicy(image),
    command: [...options.command],
    ports: options.port ? [{ number: options.port, name: 'http' }] : undefined,
    resources: toContainerResources(options.resources, `${options.setting}.resources`),
    securityContext: containerSecurity(props.runAs),
    readiness: options.readiness,
    liveness: options.liveness,
    startup: options.startup,
    lifecycle: options.preStopSleepSeconds ? { preStop: kplus.Handler.fromCommand(['sleep', String(options.preStopSleepSeconds)]) } : undefined,
  });
  const template = kplus.Volume.fromConfigMap(scope, 'TemplateVolume', config.configMap, { name: 'mistral-template' });
  const rendered = kplus.Volume.fromEmptyDir(scope, 'ConfigDir', 'mistral-conf', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) });
  const tmp = kplus.Volume.fromEmptyDir(scope, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(256) });
  prepare.mount(MISTRAL_PATHS.templateDir, template, { readOnly: true });
  prepare.mount(MISTRAL_PATHS.configDir, rendered);
  container.mount(MISTRAL_PATHS.configDir, rendered, { readOnly: true });
  // Python's tempfile (and the executor's action temp files) need a writable /tmp.
  container.mount('/tmp', tmp);
  return container;
}
