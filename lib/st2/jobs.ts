import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { serviceHost } from '../common/meta';
import { RESOURCE_PRESETS } from '../common/resources';
import { addSt2Containers, St2Runtime } from './st2-process';
import { ST2_PATHS } from './st2-conf';
import { st2Image } from './images';
import { st2HookJob } from './hook-job';
import { ComponentProfile, declareProfile } from '../common/component-profile';
import { St2JobsSettings } from '../config/st2';

/** Registration needs MongoDB: after every st2 process. */
export const ST2_REGISTER_CONTENT_PROFILE: ComponentProfile = { name: 'st2-register-content', syncStage: 'content' };
/** Key loading calls st2api and st2auth: after every st2 process. */
export const ST2_LOAD_KEYS_PROFILE: ComponentProfile = { name: 'st2-load-keys', syncStage: 'content' };

/** Props of {@link St2Jobs}. */
export interface St2JobsProps {
  readonly runtime: St2Runtime;
  readonly settings?: St2JobsSettings;
}

/**
 * What runs once per release, after the datastores answer: registering packs into MongoDB
 * and loading key-value pairs. Ordering works both ways: each Job's `prepare` step waits
 * for MongoDB and RabbitMQ (plain `kubectl apply`), and Argo CD runs them as Sync hooks in
 * a wave after the st2 processes (their profiles below). Both commands are idempotent, so re-running is safe.
 */
export class St2Jobs extends Construct {
  public readonly registerContent: kplus.Job;
  public readonly loadKeys?: kplus.Job;
  private readonly runtime: St2Runtime;

  constructor(scope: Construct, id: string, props: St2JobsProps) {
    super(scope, id);
    const { runtime } = props;
    this.runtime = runtime;
    const image = st2Image(runtime, 'st2actionrunner');
    const configArgs = [ST2_PATHS.imageConfig, ST2_PATHS.imageDockerConfig, ST2_PATHS.sharedConfig, ST2_PATHS.secretsConfig].map(
      (file) => `--config-file=${file}`,
    );
    this.registerContent = this.job('RegisterContent', ST2_REGISTER_CONTENT_PROFILE, (job) =>
      addSt2Containers(job, job, {
        runtime,
        setting: 'st2.jobs.registerContent',
        containerName: 'register-content',
        image,
        command: [`${ST2_PATHS.bin}/st2-register-content`, ...configArgs, '--register-all', '--register-fail-on-failure'],
        resources: RESOURCE_PRESETS.small,
        runAs: runtime.st2User,
        mounts: { datastoreKey: true, content: true },
      }),
    );
    // Registration reads the packs, so the packs the images ship must be on the volume first.
    runtime.content.addSeedStep(this.registerContent, runtime.st2User);
    const keysSecret = props.settings?.keysSecret;
    if (keysSecret) {
      const internal = (service: string, port: number) => `http://${serviceHost(runtime.identity, service)}:${port}`;
      const admin = kplus.Secret.fromSecretName(this, 'Admin', runtime.secrets.adminCredentials);
      this.loadKeys = this.job('LoadKeys', ST2_LOAD_KEYS_PROFILE, (job) => {
        const container = addSt2Containers(job, job, {
          runtime,
          setting: 'st2.jobs.loadKeys',
          containerName: 'load-keys',
          image,
          command: [`${ST2_PATHS.bin}/st2`, 'key', 'load', '--convert', '/etc/st2/keys-to-load/keys.json'],
          resources: RESOURCE_PRESETS.small,
          runAs: runtime.st2User,
          env: {
            ST2_API_URL: kplus.EnvValue.fromValue(internal('st2api', 9101)),
            ST2_AUTH_URL: kplus.EnvValue.fromValue(internal('st2auth', 9100)),
            ST2_AUTH_USERNAME: kplus.EnvValue.fromSecretValue({ secret: admin, key: 'username' }),
            ST2_AUTH_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: admin, key: 'password' }),
          },
        });
        const keys = kplus.Volume.fromSecret(job, 'KeysVolume', kplus.Secret.fromSecretName(job, 'Keys', keysSecret), {
          name: 'keys-to-load',
          defaultMode: 0o440,
        });
        container.mount('/etc/st2/keys-to-load', keys, { readOnly: true });
        return container;
      });
    }
  }

  private job(id: string, profile: ComponentProfile, fill: (job: kplus.Job) => kplus.Container): kplus.Job {
    const job = st2HookJob(this, id, { runtime: this.runtime, name: profile.name, phase: 'Sync', backoffLimit: 6, activeDeadline: Duration.minutes(30) });
    declareProfile(job, profile);
    fill(job);
    return job;
  }
}
