import { ResourceSettings } from '../common/resources';
import { ImageSettings, PlacementSettings } from '../common/workload';

/**
 * Settings every st2 component accepts. Values files (environments/*.yaml) map onto these
 * same types.
 */
export interface ComponentSettings {
  /** Deploy this component at all (the guide: each process can be turned on or off). @default true for core processes */
  readonly enabled?: boolean;
  /**
   * Replicas; the component's HA mode decides the allowed range. @default per component
   * @asType integer
   * @minimum 1
   */
  readonly replicas?: number;
  /** Container resources. @default sized by the component's role */
  readonly resources?: ResourceSettings;
  /** Image fields to override for this component only. @default the release image */
  readonly image?: Partial<ImageSettings>;
  /** Where this workload's pods run, over the global `placement` key by key. @default the global placement */
  readonly placement?: PlacementSettings;
}
