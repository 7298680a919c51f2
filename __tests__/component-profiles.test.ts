/**
 * Component profiles: every workload, Service and Job StackStormHa builds is placed by the
 * profile its component declares, and the catalog readers of dist/ use (COMPONENT_PROFILES)
 * holds exactly the profiles the constructs declare.
 */
import { ApiObject } from 'cdk8s';
import { ENVIRONMENTS } from '../environments';
import { COMPONENT_PROFILES, StackStormHaSettings } from '../lib';
import { profileOf, profilesIn } from '../lib/common/component-profile';
import { FOUNDATION_KINDS } from '../lib/policy/sync-waves';
import { buildEnvironment } from '../lib/synth';
import { ALL_ENVIRONMENTS } from './support/environments';

/** Every environment, plus ha with everything optional turned on. */
const everything: StackStormHaSettings = {
  ...ENVIRONMENTS.ha,
  st2: {
    ...ENVIRONMENTS.ha.st2,
    chatops: { enabled: true, adapterSecret: 'hubot' },
    garbageCollector: { ttl: { actionExecutionsDays: 30 } },
    jobs: { keysSecret: 'st2-keys' },
    rbac: { enabled: true, assignments: { alice: ['observer'] } },
    client: { enabled: true },
  },
};
const CASES = [...Object.entries(ALL_ENVIRONMENTS), ['everything', everything] as const];

test.each(CASES)("%s: every object that is not configuration has its component's profile, named like its pods", (name, settings) => {
  const app = buildEnvironment(name, settings);
  for (const object of app.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject)) {
    if (FOUNDATION_KINDS.has(object.kind)) continue;
    const profile = profileOf(object);
    expect([object.kind, object.name, profile !== undefined]).toEqual([object.kind, object.name, true]);
    const label = object.metadata.getLabel('app.kubernetes.io/name');
    // Init Jobs run inside their datastore's construct and take its stage.
    if (!(object.kind === 'Job' && label === `${profile!.name}-init`))
      expect([object.kind, object.name, label]).toEqual([object.kind, object.name, profile!.name]);
  }
});

test('COMPONENT_PROFILES is exactly what the constructs declare across the environments, each name once', () => {
  const declared = new Set(CASES.flatMap(([name, settings]) => profilesIn(buildEnvironment(name, settings))));
  expect([...declared].filter((profile) => !COMPONENT_PROFILES.includes(profile)).map((p) => p.name)).toEqual([]);
  const names = COMPONENT_PROFILES.map((profile) => profile.name);
  expect(new Set(names).size).toBe(names.length);
  // Profiles no case above builds: the 2.x notifier that holds the backup scheduler alone.
  const unbuilt = COMPONENT_PROFILES.filter((profile) => !declared.has(profile)).map((profile) => profile.name);
  expect(unbuilt).toEqual(['st2notifier-scheduler']);
});

test('by-design and security declarations live in the component files: the singletons and the root images', () => {
  const byDesign = COMPONENT_PROFILES.filter((p) => p.byDesign)
    .map((p) => `${p.name}:${p.byDesign!.mode}`)
    .sort();
  expect(byDesign).toEqual([
    'postgresql:singleton',
    'st2chatops:singleton',
    'st2client:singleton',
    'st2garbagecollector:singleton',
    'st2notifier-scheduler:singleton',
    'st2rulesengine-timers:singleton',
    'st2sensorcontainer:partition',
    'st2timersengine:singleton',
  ]);
});
