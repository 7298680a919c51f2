import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { RESOURCE_PRESETS } from '../common/resources';
import { labelAll, componentLabels } from '../common/meta';
import { ComponentSettings } from '../config/settings';
import { PARTITION_FILE, SensorPartitioning, sensorPartitions } from './sensor-partitions';
import { St2Process, St2Runtime } from './st2-process';
import { st2Image } from './images';

/** Settings of the sensor containers. */
export interface SensorContainerSettings extends ComponentSettings {
  /** How sensors are split among pods. @default all sensors in one pod */
  readonly partitioning?: SensorPartitioning;
}

/** Props of {@link St2SensorContainer}. */
export interface St2SensorContainerProps {
  readonly runtime: St2Runtime;
  /** Partitioning, resources, image. @default one pod running all sensors */
  readonly settings?: SensorContainerSettings;
}

/**
 * st2sensorcontainer, partitioned: one single-replica Deployment per partition, each with
 * its own `sensor_node_name`. The guide: sensor containers do not form a cluster and do not
 * take over each other's work, so a partition's availability is its pod's restart.
 */
export class St2SensorContainer extends Construct {
  public readonly partitions: readonly St2Process[];

  constructor(scope: Construct, id: string, props: St2SensorContainerProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    const partitioning = settings.partitioning ?? {};
    const partitions = sensorPartitions(partitioning);
    let partitionFile: kplus.Volume | undefined;
    if (partitioning.mode === 'file') {
      const map = new kplus.ConfigMap(this, 'PartitionFile', {
        metadata: { name: 'st2sensorcontainer-partitions' },
        data: { 'partitions.yaml': stringify(partitioning.assignments, { sortMapEntries: true }) },
      });
      labelAll(map, componentLabels(props.runtime.identity, 'st2sensorcontainer', 'sensors', props.runtime.release.version));
      partitionFile = kplus.Volume.fromConfigMap(this, 'PartitionFileVolume', map, { name: 'sensor-partitions' });
    }
    this.partitions = partitions.map((share) => {
      const process = new St2Process(this, share.node, {
        runtime: props.runtime,
        name: share.name,
        executable: 'st2sensorcontainer',
        role: 'sensors',
        setting: 'st2.sensorContainer',
        replicas: settings.replicas ?? 1,
        haMode: 'partitioned',
        // Never two pods of one partition: they would both run its sensors.
        strategy: 'Recreate',
        image: st2Image(props.runtime, 'st2sensorcontainer', settings.image),
        resources: settings.resources ?? RESOURCE_PRESETS.medium,
        overrides: share.overrides,
        extraArgs: share.args,
        mounts: { datastoreKey: true, content: true },
      });
      if (partitionFile) process.container.mount(PARTITION_FILE.replace(/\/[^/]+$/, ''), partitionFile, { readOnly: true });
      return process;
    });
  }
}
