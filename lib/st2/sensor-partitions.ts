import { SettingError } from '../common/errors';
import { IniDocument } from '../common/ini';
import { SensorPartitioning } from '../config/st2';

/** st2's hash space: ranges are start-inclusive, end-exclusive, within [0, 2^32). */
export const HASH_MIN = 0;
export const HASH_MAX = 4294967296;

/** One sensor container pod's share. */
export interface SensorPartition {
  /** `[sensorcontainer] sensor_node_name`, unique. */
  readonly node: string;
  /** Kubernetes name of its Deployment. */
  readonly name: string;
  /** Its st2.conf overrides. */
  readonly overrides: IniDocument;
  /** Extra command-line arguments. */
  readonly args: readonly string[];
}

const SETTING = 'st2.sensorContainer.partitioning';
const NODE = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;
const SENSOR_REF = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_]+$/;
export const PARTITION_FILE = '/etc/st2/sensor-partitions/partitions.yaml';

function checkNode(node: string, setting: string): void {
  if (!NODE.test(node)) {
    throw new SettingError(
      setting,
      `node name ${JSON.stringify(node)} is not usable in a Kubernetes name`,
      'use lower-case letters, digits and -, at most 32 characters',
    );
  }
}

/** Parses `a..b|c..d` into [start, end) pairs. */
export function parseHashRanges(text: string, setting: string): [number, number][] {
  return text.split('|').map((part) => {
    const match = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(part);
    if (!match)
      throw new SettingError(
        setting,
        `${JSON.stringify(part)} is not a range`,
        'write ranges as START..END joined by |, e.g. 0..2147483648|3000000000..4294967296',
      );
    const start = Number(match[1]);
    const end = Number(match[2]);
    if (start >= end || end > HASH_MAX) {
      throw new SettingError(setting, `range ${start}..${end} is empty or beyond 2^32`, `use START < END <= ${HASH_MAX} (END is exclusive)`);
    }
    return [start, end];
  });
}

/** Splits [0, 2^32) into `count` contiguous ranges of (nearly) equal size. */
export function equalHashRanges(count: number): [number, number][] {
  return Array.from({ length: count }, (_, i) => [Math.floor((i * HASH_MAX) / count), Math.floor(((i + 1) * HASH_MAX) / count)]);
}

/** Fails unless the ranges cover [0, 2^32) exactly once (no gap, no overlap). */
export function checkHashCoverage(byNode: Readonly<Record<string, [number, number][]>>): void {
  const all = Object.entries(byNode).flatMap(([node, ranges]) => ranges.map(([start, end]) => ({ node, start, end })));
  all.sort((a, b) => a.start - b.start || a.end - b.end);
  let covered = HASH_MIN;
  let previous = '(start)';
  for (const range of all) {
    if (range.start > covered) {
      throw new SettingError(
        `${SETTING}.hashRanges`,
        `hashes ${covered}..${range.start} belong to no partition (gap between ${previous} and ${range.node})`,
        'extend a neighbouring range so every hash from 0 to 4294967296 has exactly one partition',
      );
    }
    if (range.start < covered) {
      throw new SettingError(
        `${SETTING}.hashRanges`,
        `partitions ${previous} and ${range.node} overlap at ${range.start}..${Math.min(covered, range.end)}`,
        'make each range start where the previous one ends (END is exclusive)',
      );
    }
    covered = range.end;
    previous = range.node;
  }
  if (covered !== HASH_MAX) {
    throw new SettingError(`${SETTING}.hashRanges`, `hashes ${covered}..${HASH_MAX} belong to no partition`, `end the last range at ${HASH_MAX}`);
  }
}

function partition(node: string, provider: string, args: readonly string[] = []): SensorPartition {
  return {
    node,
    name: `st2sensorcontainer-${node}`,
    overrides: { sensorcontainer: { sensor_node_name: node, partition_provider: provider } },
    args,
  };
}

/**
 * The N of `hash` partitioning by count (`partitions: N`), whose pods differ only by their
 * index: they run as one StatefulSet and derive their range from the pod ordinal (see
 * sensor-container.ts). Undefined for every other mode. Call after {@link sensorPartitions}
 * has validated the settings.
 */
export function ordinalHashPartitions(settings: SensorPartitioning = {}): number | undefined {
  return settings.mode === 'hash' && settings.hashRanges === undefined ? settings.partitions : undefined;
}

/** Validates partitioning settings and returns one partition per pod. */
export function sensorPartitions(settings: SensorPartitioning = {}): SensorPartition[] {
  const mode = settings.mode ?? 'all';
  const stray = (['partitions', 'hashRanges', 'nodes', 'assignments', 'sensors'] as const).filter(
    (key) =>
      settings[key] !== undefined &&
      !{
        all: [] as string[],
        hash: ['partitions', 'hashRanges'],
        kvstore: ['nodes'],
        file: ['assignments'],
        'single-sensor': ['sensors'],
      }[mode].includes(key),
  );
  if (stray.length > 0) {
    throw new SettingError(`${SETTING}.${stray[0]}`, `does not apply to mode ${mode}`, `remove it, or choose the mode it belongs to`);
  }
  switch (mode) {
    case 'all':
      return [
        { node: 'all', name: 'st2sensorcontainer', overrides: { sensorcontainer: { sensor_node_name: 'all', partition_provider: 'name:default' } }, args: [] },
      ];
    case 'hash': {
      let byNode: Record<string, [number, number][]>;
      if (settings.hashRanges && settings.partitions !== undefined) {
        throw new SettingError(`${SETTING}.partitions`, 'both partitions and hashRanges are set', 'keep one: a count of equal partitions, or explicit ranges');
      }
      if (settings.hashRanges) {
        byNode = {};
        for (const [node, text] of Object.entries(settings.hashRanges)) {
          checkNode(node, `${SETTING}.hashRanges.${node}`);
          byNode[node] = parseHashRanges(text, `${SETTING}.hashRanges.${node}`);
        }
      } else {
        const count = settings.partitions;
        if (count === undefined || !Number.isInteger(count) || count < 1 || count > 1024) {
          throw new SettingError(
            `${SETTING}.partitions`,
            `got ${JSON.stringify(count)}`,
            'set a whole number of partitions from 1 to 1024, or give hashRanges',
          );
        }
        byNode = Object.fromEntries(equalHashRanges(count).map((range, i) => [`hash-${i}`, [range]]));
      }
      checkHashCoverage(byNode);
      return Object.entries(byNode).map(([node, ranges]) =>
        partition(node, `name:hash, hash_ranges:${ranges.map(([start, end]) => `${start}..${end}`).join('|')}`),
      );
    }
    case 'kvstore': {
      const nodes = settings.nodes ?? [];
      if (nodes.length === 0)
        throw new SettingError(`${SETTING}.nodes`, 'kvstore mode lists no node', 'list the node names whose <node>.sensor_partition keys you store');
      nodes.forEach((node, i) => checkNode(node, `${SETTING}.nodes[${i}]`));
      const repeated = nodes.find((node, i) => nodes.indexOf(node) !== i);
      if (repeated) throw new SettingError(`${SETTING}.nodes`, `node name ${repeated} appears twice`, 'give every partition its own sensor_node_name');
      return nodes.map((node) => partition(node, 'name:kvstore'));
    }
    case 'file': {
      const assignments = settings.assignments ?? {};
      if (Object.keys(assignments).length === 0)
        throw new SettingError(`${SETTING}.assignments`, 'file mode assigns no sensor', 'map each node name to the sensor refs it runs');
      const owner = new Map<string, string>();
      for (const [node, refs] of Object.entries(assignments)) {
        checkNode(node, `${SETTING}.assignments.${node}`);
        for (const ref of refs) {
          if (!SENSOR_REF.test(ref))
            throw new SettingError(`${SETTING}.assignments.${node}`, `${JSON.stringify(ref)} is not a sensor ref`, 'write refs as pack.SensorClass');
          const other = owner.get(ref);
          if (other)
            throw new SettingError(
              `${SETTING}.assignments`,
              `sensor ${ref} is assigned to both ${other} and ${node} (overlapping partitions)`,
              'assign each sensor to exactly one node',
            );
          owner.set(ref, node);
        }
      }
      return Object.keys(assignments).map((node) => partition(node, `name:file, partition_file:${PARTITION_FILE}`));
    }
    case 'single-sensor': {
      const sensors = settings.sensors ?? [];
      if (sensors.length === 0) throw new SettingError(`${SETTING}.sensors`, 'single-sensor mode lists no sensor', 'list the sensor refs, one pod each');
      const seen = new Map<string, string>();
      return sensors.map((ref, i) => {
        if (!SENSOR_REF.test(ref))
          throw new SettingError(`${SETTING}.sensors[${i}]`, `${JSON.stringify(ref)} is not a sensor ref`, 'write refs as pack.SensorClass');
        const node = ref
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 32)
          .replace(/-+$/, '');
        const clash = seen.get(node);
        if (clash) throw new SettingError(`${SETTING}.sensors[${i}]`, `${ref} and ${clash} give the same pod name ${node}`, 'list each sensor once');
        seen.set(node, ref);
        return {
          node,
          name: `st2sensorcontainer-${node}`,
          overrides: { sensorcontainer: { sensor_node_name: node } },
          args: ['--single-sensor-mode', `--sensor-ref=${ref}`],
        };
      });
    }
    default:
      throw new SettingError(`${SETTING}.mode`, `unknown mode ${JSON.stringify(mode)}`, 'use all, hash, kvstore, file or single-sensor');
  }
}
