import { check, SettingError } from '../common/errors';
import type { StackStormHaSettings } from './settings';

/** The registry the 3.x images come from; it has no 2.x images for this topology. */
export const OFFICIAL_REGISTRY = 'docker.io/stackstorm';

/** The checked topology and, for 2.x-mistral, where its images come from. */
export interface ResolvedTopology {
  readonly topology: '3.x' | '2.x-mistral';
  /** 2.x-mistral: timers in the rules engine, backup scheduler in the notifier, Mistral. */
  readonly legacy: boolean;
}

/** Processes that exist only in 3.x, by settings key and process name. */
const ONLY_3X = { timersEngine: 'st2timersengine', workflowEngine: 'st2workflowengine', scheduler: 'st2scheduler' } as const;

/**
 * Checks the release topology against the rest of the settings, before anything is built.
 *
 * 2.x-mistral is the guide's own layout, which st2 had up to 2.8: 2.9 moved the timers to
 * st2timersengine and 2.10 the scheduling to st2scheduler. StackStorm publishes no
 * container images of it (none at all for mistral-api, mistral-server and
 * st2resultstracker), so the user names the registry holding their own images
 * (`<registry>/st2api:<version>`, ..., `<registry>/st2resultstracker:<version>`,
 * `<registry>/mistral:<version>`) and their tag.
 */
export function resolveTopology(props: StackStormHaSettings): ResolvedTopology {
  const topology = props.release?.topology ?? '3.x';
  if (topology !== '3.x' && topology !== '2.x-mistral') {
    throw new SettingError('release.topology', `${JSON.stringify(topology)} is not a topology`, 'use 3.x or 2.x-mistral');
  }
  const st2 = props.st2 ?? {};
  if (topology === '3.x') {
    check(
      props.mistral === undefined,
      'mistral',
      'Mistral is not part of the 3.x topology (StackStorm 3.3 removed it; Orquesta runs workflows)',
      'remove the mistral settings, or set release.topology to 2.x-mistral',
    );
    check(
      st2.resultsTracker === undefined,
      'st2.resultsTracker',
      'st2resultstracker is not part of the 3.x topology (it tracks Mistral, removed in 3.4)',
      'remove st2.resultsTracker, or set release.topology to 2.x-mistral',
    );
    return { topology, legacy: false };
  }
  const registry = props.release?.registry;
  check(
    !!registry && registry.replace(/\/+$/, '') !== OFFICIAL_REGISTRY,
    'release.registry',
    registry ? `${registry} publishes no images of the 2.x-mistral topology` : 'the 2.x-mistral topology names no image registry',
    'no official images exist for mistral-api, mistral-server or st2resultstracker: build st2 2.x images (st2 2.0-2.8, with Mistral and the st2mistral plugin in /opt/stackstorm/mistral), push them as <registry>/st2api ... <registry>/st2resultstracker and <registry>/mistral, and set release.registry to that registry and release.version to their tag',
  );
  const version = props.release?.version;
  check(
    !!version && /^2\.[0-8](\.|$)/.test(version),
    'release.version',
    version ? `${version} is not st2 2.0-2.8` : 'the 2.x-mistral topology names no image tag',
    'set the tag of your 2.x images, e.g. 2.8.1 (2.9 moved timers to st2timersengine, 2.10 scheduling to st2scheduler; use topology 3.x for those)',
  );
  for (const [key, process] of Object.entries(ONLY_3X)) {
    const settings = st2[key as keyof typeof ONLY_3X];
    check(
      settings === undefined || settings.enabled === false,
      `st2.${key}`,
      `${process} does not exist in the 2.x-mistral topology`,
      `remove st2.${key}${key === 'timersEngine' ? ' (timers run in st2rulesengine-timers: size it with st2.rulesEngine.timers)' : ''}`,
    );
  }
  return { topology, legacy: true };
}
