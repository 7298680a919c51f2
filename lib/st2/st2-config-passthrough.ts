import { SettingError } from '../common/errors';
import { IniDocument, IniValue } from '../common/ini';
import { St2ConfigSettings } from '../config/st2';
import { ST2_DEPRECATED_ALIASES, ST2_OPTIONS, St2OptionType } from '../config/st2-options';

/**
 * The sections whose options we set for correctness, with the setting that controls them.
 * Within these sections only the options our own st2.conf, the secrets file or a process's
 * overrides file sets are managed; the others pass through (e.g. `[actionrunner]
 * python_binary`).
 */
const MANAGED_BY: Readonly<Record<string, string>> = {
  api: 'publicUrl (allow_origin is derived from it; add origins with st2.allowOrigins)',
  auth: 'st2.auth (backend, backendKwargs, secretKwargs; api_url is the in-cluster st2api)',
  webui: 'publicUrl',
  rbac: 'st2.rbac (enabled, roles, assignments, groupMappings)',
  database: 'datastores.mongodb',
  messaging: 'datastores.rabbitmq',
  coordination: 'datastores.coordination',
  content: 'content (the pack volumes)',
  system_user: 'release.st2RunAs and secrets.sshKey',
  keyvalue: 'secrets.datastoreKey',
  actionrunner: "the action runners' termination grace period (StackStormHa sizes both)",
  workflow_engine: "the workflow engines' termination grace period (StackStormHa sizes both)",
  stream: "StackStormHa (the edge's stream timeout is derived from the heartbeat)",
  timersengine: 'release.topology',
  timer: 'release.topology',
  garbagecollector: 'st2.garbageCollector.ttl',
  mistral: 'publicUrl (2.x-mistral: st2 reaches Mistral through the edge)',
  sensorcontainer: 'st2.sensorContainer.partitioning',
};

/** Options set outside the shared st2.conf: the secrets file and per-process overrides files. */
const MANAGED_ELSEWHERE: Readonly<Record<string, readonly string[]>> = {
  database: ['password'],
  messaging: ['url', 'cluster_urls'],
  sensorcontainer: ['sensor_node_name', 'partition_provider'],
  timer: ['enable'],
  scheduler: ['enable'],
};

/**
 * Checks `st2.config` against what StackStorm registers and what we manage, and returns it as
 * an INI document to merge after our own keys. `managed` is the st2.conf StackStormHa renders
 * without the passthrough: every option in it is ours.
 */
export function resolveSt2ConfigPassthrough(config: St2ConfigSettings | undefined, managed: IniDocument, setting = 'st2.config'): IniDocument {
  const document: IniDocument = {};
  for (const [section, options] of Object.entries(config ?? {})) {
    const known = ST2_OPTIONS[section];
    if (!known) {
      throw new SettingError(`${setting}.${section}`, 'StackStorm registers no such section', hint(section, Object.keys(ST2_OPTIONS), 'section'));
    }
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new SettingError(`${setting}.${section}`, 'is not a map of options', 'give option: value pairs under the section');
    }
    for (const [option, value] of Object.entries(options)) {
      const at = `${setting}.${section}.${option}`;
      const canonical = ST2_DEPRECATED_ALIASES[section]?.[option] ?? option;
      const type = known[canonical];
      if (!type) throw new SettingError(at, `StackStorm registers no option ${option} in [${section}]`, hint(option, Object.keys(known), 'option'));
      const ours = managed[section]?.[canonical] !== undefined || (MANAGED_ELSEWHERE[section] ?? []).includes(canonical);
      if (ours) {
        throw new SettingError(
          at,
          `[${section}] ${canonical} is set by StackStormHa for correctness`,
          `use ${MANAGED_BY[section] ?? 'the typed setting for it'} instead`,
        );
      }
      document[section] = { ...(document[section] ?? {}), [option]: checkedValue(value, type, at) };
    }
  }
  return document;
}

/** The value as oslo.config will read it: the option's type, `$` written `$$` (oslo.config interpolates `$name`). */
function checkedValue(value: unknown, type: St2OptionType, at: string): IniValue {
  const scalar = (item: unknown): item is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof item);
  if (Array.isArray(value)) {
    if (type !== 'list' && type !== 'multistring') throw new SettingError(at, `is a list, but the option is a single ${type}`, 'give one value');
    if (!value.every((item) => typeof item === 'string' || typeof item === 'number'))
      throw new SettingError(at, 'is a list of something other than strings and numbers', 'list plain values');
    return value.map((item) => (typeof item === 'string' ? text(item, at) : item));
  }
  if (!scalar(value))
    throw new SettingError(at, `${JSON.stringify(value)} is not a scalar or a list of scalars`, 'give a string, number, boolean or a list of them');
  switch (type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw new SettingError(at, `${JSON.stringify(value)} is not a boolean`, 'write true or false');
      return value;
    case 'integer':
    case 'port':
      if (typeof value !== 'number' || !Number.isInteger(value) || (type === 'port' && (value < 1 || value > 65535))) {
        throw new SettingError(
          at,
          `${JSON.stringify(value)} is not ${type === 'port' ? 'a port' : 'an integer'}`,
          type === 'port' ? 'write a number from 1 to 65535' : 'write a whole number',
        );
      }
      return value;
    case 'float':
      if (typeof value !== 'number') throw new SettingError(at, `${JSON.stringify(value)} is not a number`, 'write a number');
      return value;
    default:
      if (typeof value === 'boolean') throw new SettingError(at, `${value} is a boolean, but the option is a ${type}`, 'quote it if you mean the text');
      return typeof value === 'string' ? text(value, at) : value;
  }
}

function text(value: string, at: string): string {
  if (/[\r\n]/.test(value)) throw new SettingError(at, 'contains a line break', 'oslo.config reads one line per option: write it on one line');
  return value.replace(/\$/g, '$$$$');
}

/** The closest known name, if one is close enough to be a typo. */
function hint(name: string, known: readonly string[], what: 'section' | 'option'): string {
  const best = known
    .map((candidate) => ({ candidate, distance: editDistance(name.toLowerCase(), candidate.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))[0];
  return best && best.distance <= Math.max(2, Math.floor(name.length / 3))
    ? `did you mean ${best.candidate}? (the ${what}s StackStorm 3.9 registers are in lib/config/st2-options.ts)`
    : `use one of the ${what}s StackStorm 3.9 registers (lib/config/st2-options.ts)`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}
