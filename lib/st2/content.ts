import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { SettingError } from '../common/errors';
import { containerSecurity, ImageSettings, imageReference, pullPolicy, RunAs } from '../common/workload';
import { toContainerResources } from '../common/resources';
import { ST2_PATHS } from './st2-conf';
import { shippedFile } from '../common/shipped-files';
import { ST2_SHIPPED_PACKS } from '../images/image-model';
import { ContentSettings, ImagesContent } from '../config/content';
import { checkStorageSize } from '../common/validators';

/** The seed script, from the project root. */
export const SEED_SCRIPT_PATH = 'lib/st2/scripts/seed-system-packs.sh';
/** Packs the seed replaces on every registration: st2's system packs. */
export const REFRESHED_PACKS = ['core', 'packs', 'linux', 'chatops'] as const;
/** Shipped packs seeded only once: users add their own content to `default`. */
export const KEPT_PACKS = ST2_SHIPPED_PACKS.filter((pack) => !(REFRESHED_PACKS as readonly string[]).includes(pack));
const SEED_SCRIPTS_MOUNT = '/etc/st2/content-scripts';

/** Props of {@link St2Content}. */
export interface St2ContentProps {
  readonly settings: ContentSettings;
  /** The st2 image whose bundled system packs seed the packs volume in `images` mode. */
  readonly systemPacksImage: ImageSettings;
}

const CLAIM = { packs: 'st2-packs', virtualenvs: 'st2-virtualenvs', configs: 'st2-pack-configs' } as const;

/** The shared pack content of a deployment and how it is mounted into a pod. */
export class St2Content extends Construct {
  public readonly settings: ContentSettings;
  private readonly claims?: Record<keyof typeof CLAIM, kplus.PersistentVolumeClaim>;
  private readonly systemPacksImage: ImageSettings;
  private volumes?: ContentVolumes;
  /** The seed script's ConfigMap (shared-volumes mode). */
  public readonly scripts?: kplus.ConfigMap;

  constructor(scope: Construct, id: string, props: St2ContentProps) {
    super(scope, id);
    this.settings = props.settings;
    this.systemPacksImage = props.systemPacksImage;
    if (props.settings.strategy === 'shared-volumes') {
      const s = props.settings;
      const size = (value: string | undefined, fallback: string, key: string) => {
        const v = value ?? fallback;
        checkStorageSize(v, `content.${key}`, '4Gi', ['Gi', 'Ti']);
        return Size.mebibytes(toMebibytes(v));
      };
      const claim = (key: keyof typeof CLAIM, storage: Size) =>
        new kplus.PersistentVolumeClaim(this, key, {
          metadata: { name: CLAIM[key] },
          accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_MANY],
          storage,
          storageClassName: s.storageClassName,
          volumeMode: kplus.PersistentVolumeMode.FILE_SYSTEM,
        });
      this.claims = {
        packs: claim('packs', size(s.packsSize, '1Gi', 'packsSize')),
        virtualenvs: claim('virtualenvs', size(s.virtualenvsSize, '4Gi', 'virtualenvsSize')),
        configs: claim('configs', size(s.configsSize, '1Gi', 'configsSize')),
      };
      this.scripts = new kplus.ConfigMap(this, 'Scripts', {
        metadata: { name: 'st2-content-scripts' },
        data: { 'seed-system-packs.sh': shippedFile(SEED_SCRIPT_PATH) },
      });
    } else if (props.settings.images.length === 0) {
      throw new SettingError('content.images', 'the images strategy lists no pack image', 'add at least one pack image, or use strategy: shared-volumes');
    } else if (props.settings.packConfigsSecret !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(props.settings.packConfigsSecret)) {
      throw new SettingError(
        'content.packConfigsSecret',
        `${JSON.stringify(props.settings.packConfigsSecret)} is not a Secret name`,
        'use lower-case letters, digits, - and .',
      );
    }
  }

  /** Mounts packs, virtualenvs and configs into `container` (adding copy steps, run as `runAs`, in `images` mode). */
  public mountInto(workload: kplus.AbstractPod, container: kplus.Container, runAs: RunAs): void {
    const volumes = this.contentVolumes();
    if (this.claims) {
      container.mount(ST2_PATHS.packs, volumes.packs);
      container.mount(ST2_PATHS.virtualenvs, volumes.virtualenvs);
      container.mount(ST2_PATHS.packConfigs, volumes.configs!);
      return;
    }
    const settings = this.settings as ImagesContent;
    const copy = (name: string, image: ImageSettings, setting: string, what: readonly string[]) => {
      const step = workload.addInitContainer({
        name,
        image: imageReference(image, setting),
        imagePullPolicy: pullPolicy(image),
        command: ['sh', '-ec', what.map((dir) => `cp -a /opt/stackstorm/${dir}/. /content/${dir}/`).join('\n')],
        resources: toContainerResources({ cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '128Mi' }, `${setting}.copy`),
        securityContext: containerSecurity(runAs),
      });
      step.mount('/content/packs', volumes.packs);
      step.mount('/content/virtualenvs', volumes.virtualenvs);
    };
    copy('system-packs', this.systemPacksImage, 'content.systemPacksImage', ['packs']);
    settings.images.forEach((image, index) => copy(`pack-image-${index}`, image, `content.images[${index}]`, ['packs', 'virtualenvs']));
    container.mount(ST2_PATHS.packs, volumes.packs, { readOnly: true });
    container.mount(ST2_PATHS.virtualenvs, volumes.virtualenvs, { readOnly: true });
    if (volumes.configs) container.mount(ST2_PATHS.packConfigs, volumes.configs, { readOnly: true });
  }

  /**
   * In `shared-volumes` mode, adds the step that copies the packs `image` ships into the
   * packs claim (which hides them in every pod that mounts it): the system packs are
   * replaced by the image's on every run, `default` is copied only once. One pod runs it
   * (the content registration Job, before it registers), so no two copies race on the
   * shared volume. `images` mode needs none: each pod copies into its own emptyDir.
   */
  public addSeedStep(pod: kplus.AbstractPod, runAs: RunAs): void {
    const image = this.systemPacksImage;
    if (!this.claims || !this.scripts) return;
    const volumes = this.contentVolumes();
    const step = pod.addInitContainer({
      name: 'seed-system-packs',
      image: imageReference(image, 'content.systemPacksImage'),
      imagePullPolicy: pullPolicy(image),
      command: ['sh', `${SEED_SCRIPTS_MOUNT}/seed-system-packs.sh`, ST2_PATHS.packs, ST2_PATHS.seedPacks, REFRESHED_PACKS.join(','), KEPT_PACKS.join(',')],
      resources: toContainerResources({ cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '128Mi' }, 'content.seed'),
      securityContext: containerSecurity(runAs),
    });
    step.mount(ST2_PATHS.seedPacks, volumes.packs);
    step.mount(SEED_SCRIPTS_MOUNT, kplus.Volume.fromConfigMap(this, 'ScriptsVolume', this.scripts, { name: 'content-scripts' }), { readOnly: true });
  }

  /**
   * The pod volumes, built once: a kplus Volume is only a name and a source, so every pod
   * mounts the same ones (claims in `shared-volumes` mode, per-pod emptyDirs in `images` mode).
   */
  private contentVolumes(): ContentVolumes {
    if (this.volumes) return this.volumes;
    if (this.claims) {
      this.volumes = {
        packs: kplus.Volume.fromPersistentVolumeClaim(this, 'PacksClaim', this.claims.packs, { name: 'packs' }),
        virtualenvs: kplus.Volume.fromPersistentVolumeClaim(this, 'VirtualenvsClaim', this.claims.virtualenvs, { name: 'virtualenvs' }),
        configs: kplus.Volume.fromPersistentVolumeClaim(this, 'ConfigsClaim', this.claims.configs, { name: 'pack-configs' }),
      };
    } else {
      const configsSecret = (this.settings as ImagesContent).packConfigsSecret;
      this.volumes = {
        packs: kplus.Volume.fromEmptyDir(this, 'PacksDir', 'packs'),
        virtualenvs: kplus.Volume.fromEmptyDir(this, 'VirtualenvsDir', 'virtualenvs'),
        configs: configsSecret
          ? kplus.Volume.fromSecret(this, 'PackConfigsSecret', kplus.Secret.fromSecretName(this, 'PackConfigs', configsSecret), { name: 'pack-configs' })
          : undefined,
      };
    }
    return this.volumes;
  }
}

/** The volumes {@link St2Content.mountInto} mounts. */
interface ContentVolumes {
  readonly packs: kplus.Volume;
  readonly virtualenvs: kplus.Volume;
  /** Pack configs: a claim of their own in `shared-volumes` mode, the packConfigsSecret in `images` mode. */
  readonly configs?: kplus.Volume;
}

function toMebibytes(quantity: string): number {
  const amount = Number(quantity.slice(0, -2));
  return { Gi: 1024, Ti: 1024 * 1024 }[quantity.slice(-2) as 'Gi' | 'Ti'] * amount;
}
