import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { RESOURCE_PRESETS } from '../common/resources';
import { labelAll, componentLabels } from '../common/meta';

import { ordinalHashPartitions, PARTITION_FILE, sensorPartitions } from './sensor-partitions';

import { SENSOR_PARTITION_FILE } from '../common/prepare-script';
import { renderOverrides, St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';
import { SensorContainerSettings } from '../config/st2';
import { ComponentProfile, declareProfile } from '../common/component-profile';

/** Props of {@link St2SensorContainer}. */
export interface St2SensorContainerProps {
  /**
   * Where `settings` come from, as error messages name them: an app that builds the construct
   * from its own configuration names its own key.
   * @default `st2.sensorContainer`, the key in a StackStormHa values file
   */
  readonly setting?: string;
  readonly runtime: St2Runtime;
  /** Partitioning, resources, image. @default one pod running all sensors */
  readonly settings?: SensorContainerSettings;
}

export const ST2_SENSOR_CONTAINER_PROFILE: ComponentProfile = {
  name: 'st2sensorcontainer',
  syncStage: 'processes',
  byDesign: { mode: 'partition', reason: 'one pod per sensor partition; partitions do not fail over, Kubernetes restarts them' },
};

/**
 * st2sensorcontainer, partitioned. The guide: sensor containers do not form a cluster and
 * do not take over each other's work, so a partition's availability is its pod's restart,
 * and a partition must never run twice (every trigger would fire twice).
 *
 * - `hash` with `partitions: N`: one StatefulSet `st2sensorcontainer` of N pods. Pod
 *   `st2sensorcontainer-<i>` is sensor node `st2sensorcontainer-<i>` and runs range i of
 *   N equal ranges (prepare.py derives it from the ordinal). A StatefulSet never starts a
 *   pod while another of the same ordinal may still run, so no range runs twice, even
 *   when a node stops answering; the price is that such a pod is replaced only once the
 *   node is known gone (deleted, or its pods force-deleted, which is safe only when the
 *   node is really down). A change of N re-splits every range: README, "Scale a
 *   component", stops the set before applying one.
 * - `all`: one Deployment `st2sensorcontainer` running every sensor.
 * - every other mode: one single-replica Deployment `st2sensorcontainer-<node>` per named
 *   partition, with `Recreate` rollouts. The partitions share what they can: pod label
 *   `app.kubernetes.io/name: st2sensorcontainer` (so one NetworkPolicy), each Deployment
 *   selecting its pods by `stackstorm.io/partition: <node>`, and one ConfigMap
 *   `st2sensorcontainer-config` with every partition's st2.conf overrides.
 */
export class St2SensorContainer extends Construct {
  public readonly partitions: readonly St2Process[];

  constructor(scope: Construct, id: string, props: St2SensorContainerProps) {
    super(scope, id);
    const setting = props.setting ?? 'st2.sensorContainer';
    declareProfile(this, ST2_SENSOR_CONTAINER_PROFILE);
    const settings = props.settings ?? {};
    const partitioning = settings.partitioning ?? {};
    const partitions = sensorPartitions(partitioning);
    const common = {
      runtime: props.runtime,
      executable: 'st2sensorcontainer',
      role: 'sensors' as const,
      setting: setting,
      replicas: settings.replicas ?? 1,
      haMode: 'partitioned' as const,
      image: st2Image(props.runtime, 'st2sensorcontainer', settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS.medium,
      placement: settings.placement,
      mounts: { datastoreKey: true, content: true },
    };
    const hashCount = ordinalHashPartitions(partitioning);
    if (hashCount !== undefined) {
      this.partitions = [
        new St2Process(this, 'hash', {
          ...common,
          name: 'st2sensorcontainer',
          ordinalPartitions: hashCount,
          prepareEnv: { ST2_SENSOR_PARTITIONS: String(hashCount) },
          generatedConfigFiles: [SENSOR_PARTITION_FILE],
        }),
      ];
      return;
    }
    let partitionFile: kplus.Volume | undefined;
    if (partitioning.mode === 'file') {
      const map = new kplus.ConfigMap(this, 'PartitionFile', {
        metadata: { name: 'st2sensorcontainer-partitions' },
        data: { 'partitions.yaml': stringify(partitioning.assignments, { sortMapEntries: true }) },
      });
      labelAll(map, componentLabels(props.runtime.identity, 'st2sensorcontainer', 'sensors', props.runtime.release.version));
      partitionFile = kplus.Volume.fromConfigMap(this, 'PartitionFileVolume', map, { name: 'sensor-partitions' });
    }
    // Every partition's overrides in one ConfigMap; each pod mounts its own key. The single
    // all-sensors pod stays a process of its own (same names, and no selector change for it).
    const named = (partitioning.mode ?? 'all') !== 'all';
    let overridesMap: kplus.ConfigMap | undefined;
    if (named) {
      overridesMap = new kplus.ConfigMap(this, 'Overrides', {
        metadata: { name: 'st2sensorcontainer-config' },
        data: Object.fromEntries(partitions.map((share) => [`${share.name}.conf`, renderOverrides(share.name, share.overrides)])),
      });
      labelAll(overridesMap, componentLabels(props.runtime.identity, 'st2sensorcontainer', 'sensors', props.runtime.release.version));
    }
    this.partitions = partitions.map((share) => {
      const process = new St2Process(this, share.node, {
        ...common,
        name: share.name,
        // Never two pods of one partition: they would both run its sensors.
        strategy: 'Recreate',
        overrides: share.overrides,
        extraArgs: share.args,
        sharedBy: overridesMap && { app: 'st2sensorcontainer', partition: share.node, overridesMap },
      });
      if (partitionFile) process.container.mount(PARTITION_FILE.replace(/\/[^/]+$/, ''), partitionFile, { readOnly: true });
      return process;
    });
  }
}
