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
}
