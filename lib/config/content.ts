import { ImageSettings } from '../common/workload';

/**
 * How packs reach every pod that runs them. The guide's two strategies:
 * `shared-volumes` is its read-write NFS mounts (ReadWriteMany claims); `images` is its
 * content management: packs are baked into images and copied in at pod start.
 */
export type ContentSettings = SharedVolumesContent | ImagesContent;

/** Packs, virtualenvs and pack configs on ReadWriteMany volumes every pod shares. */
export interface SharedVolumesContent {
  readonly strategy: 'shared-volumes';
  /** StorageClass that provides ReadWriteMany (NFS, CephFS, EFS, ...). @default the cluster default */
  readonly storageClassName?: string;
  /** Size of the packs claim. @default '1Gi' */
  readonly packsSize?: string;
  /** Size of the virtualenvs claim. @default '4Gi' */
  readonly virtualenvsSize?: string;
  /** Size of the pack configs claim. @default '1Gi' */
  readonly configsSize?: string;
}

/** Pack images (each holding /opt/stackstorm/packs and /opt/stackstorm/virtualenvs) copied in by init containers. */
export interface ImagesContent {
  readonly strategy: 'images';
  /** The pack images, copied in order (a later image wins on a name clash). */
  readonly images: readonly ImageSettings[];
  /**
   * Secret whose keys `<pack>.yaml` are the packs' configs, mounted read-only at
   * /opt/stackstorm/configs in every pod that reads packs (the images mode has no config
   * volume otherwise). Create it with
   * `kubectl create secret generic st2-pack-configs --from-file=corp.yaml=...`: configs often hold
   * credentials. @default none: packs run without configs
   */
  readonly packConfigsSecret?: string;
}
