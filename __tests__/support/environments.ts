import * as path from 'path';
import { ENVIRONMENTS } from '../../environments';
import { StackStormHaSettings } from '../../lib';
import { loadEnvironments } from '../../lib/config/environments';
import { K8sObject, readDist, synth } from './synth';

/**
 * Environments the suites run over: every values file in environments/ (a team's own
 * included) and the test-only ones in __tests__/fixtures/environments/, varied on purpose so
 * an invariant that only holds for our shipped files fails here first.
 */
export const TEST_ONLY_ENVIRONMENTS: Record<string, StackStormHaSettings> = loadEnvironments(path.join(__dirname, '..', 'fixtures', 'environments'));
export const ALL_ENVIRONMENTS: Record<string, StackStormHaSettings> = { ...ENVIRONMENTS, ...TEST_ONLY_ENVIRONMENTS };
export const ALL_ENVIRONMENT_NAMES: readonly string[] = Object.keys(ALL_ENVIRONMENTS).sort();

/** An environment's objects: as committed in dist/ for those the synth writes, built in memory for the test-only ones. */
export function environmentObjects(name: string): K8sObject[] {
  return name in ENVIRONMENTS ? readDist(name) : synth(ALL_ENVIRONMENTS[name], name);
}
