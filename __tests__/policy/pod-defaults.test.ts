/** release.registryMirror and release.imagePullSecrets reach every image and pod we deploy. */
import { ENVIRONMENTS } from '../../environments';
import { StackStormHaSettings } from '../../lib';
import { mirroredReference, parseReference } from '../../lib/common/registry-mirror';
import { expectSettingError } from '../support/errors';
import { validateAll } from '../support/k8s-schema';
import { podTemplates, synth } from '../support/synth';

/** `ha-legacy-mistral` has every kind of image: st2, Mistral, every datastore but ZooKeeper, nginx. */
const legacy = ENVIRONMENTS['ha-legacy-mistral'];
const withRelease = (base: StackStormHaSettings, release: StackStormHaSettings['release']): StackStormHaSettings => ({
  ...base,
  release: { ...base.release, ...release },
});
const images = (settings: StackStormHaSettings) =>
  podTemplates(synth(settings)).flatMap(({ object, template }) =>
    [...(template.spec.initContainers ?? []), ...template.spec.containers].map((c: { name: string; image: string }) => ({
      pod: object.metadata.name,
      container: c.name,
      image: c.image,
    })),
  );

describe('parseReference / mirroredReference', () => {
  test.each([
    ['mongo:7.0.37', 'docker.io', 'library/mongo:7.0.37'],
    ['redis:7.0.15', 'docker.io', 'library/redis:7.0.15'],
    ['docker.io/library/postgres:15.13', 'docker.io', 'library/postgres:15.13'],
    ['docker.io/nginxinc/nginx-unprivileged:1.27.3', 'docker.io', 'nginxinc/nginx-unprivileged:1.27.3'],
    ['docker.io/stackstorm/st2api:3.9.0@sha256:' + 'a'.repeat(64), 'docker.io', 'stackstorm/st2api:3.9.0@sha256:' + 'a'.repeat(64)],
    ['stackstorm/st2api:3.9.0', 'docker.io', 'stackstorm/st2api:3.9.0'],
    ['quay.io/org/img:1', 'quay.io', 'org/img:1'],
    ['localhost:5000/img:1', 'localhost:5000', 'img:1'],
    ['localhost/img:1', 'localhost', 'img:1'],
  ])('%s is %s + %s', (reference, registry, rest) => {
    expect(parseReference(reference)).toEqual({ registry, rest });
  });

  test('a string replaces every upstream host; implicit Docker Hub paths become explicit', () => {
    expect(mirroredReference('mongo:7.0.37', 'registry.corp.example', 'm')).toBe('registry.corp.example/library/mongo:7.0.37');
    expect(mirroredReference('quay.io/org/img:1', 'registry.corp.example/', 'm')).toBe('registry.corp.example/org/img:1');
  });

  test('a map serves one prefix per upstream and refuses an upstream it does not name', () => {
    const mirror = { 'docker.io': 'harbor.corp.example/dockerhub', 'quay.io': 'harbor.corp.example/quay' };
    expect(mirroredReference('docker.io/stackstorm/st2api:3.9.0', mirror, 'm')).toBe('harbor.corp.example/dockerhub/stackstorm/st2api:3.9.0');
    expect(mirroredReference('quay.io/org/img:1', mirror, 'm')).toBe('harbor.corp.example/quay/org/img:1');
    expectSettingError(
      () => mirroredReference('ghcr.io/org/img:1', mirror, 'release.registryMirror'),
      'release.registryMirror',
      'ghcr.io/org/img:1 comes from ghcr.io',
    );
  });
});

describe('in every pod of a deployment', () => {
  test('a mirror rewrites every container and init container, and nothing else', () => {
    const before = images(legacy);
    const after = images(withRelease(legacy, { registryMirror: 'registry.corp.example' }));
    expect(after.map(({ pod, container }) => `${pod}/${container}`)).toEqual(before.map(({ pod, container }) => `${pod}/${container}`));
    // Two upstreams: Docker Hub (datastores, nginx) and the legacy release's own registry (st2 2.x, Mistral).
    expect(new Set(before.map((i) => parseReference(i.image).registry))).toEqual(new Set(['docker.io', 'registry.example.com']));
    after.forEach((entry, i) => expect(entry.image).toBe(`registry.corp.example/${parseReference(before[i].image).rest}`));
    // The unmirrored output is unchanged: the default environments do not read their objects back.
    expect(before.length).toBeGreaterThan(40);
  });

  test('image pull secrets reach every pod template, Jobs included, and the objects stay schema-valid', () => {
    const objects = synth(withRelease(ENVIRONMENTS.ha, { imagePullSecrets: ['corp-registry', 'corp-registry-2'] }));
    const templates = podTemplates(objects);
    expect(templates.map(({ object }) => object.kind)).toEqual(expect.arrayContaining(['Deployment', 'StatefulSet', 'Job']));
    for (const { template } of templates) expect(template.spec.imagePullSecrets).toEqual([{ name: 'corp-registry' }, { name: 'corp-registry-2' }]);
    expect(validateAll(objects)).toEqual([]);
  });

  test('without either setting no pod has imagePullSecrets', () => {
    for (const { template } of podTemplates(synth(ENVIRONMENTS.ha))) expect(template.spec.imagePullSecrets).toBeUndefined();
  });

  test('an image override with only a registry does not double the repository path', () => {
    const objects = synth({ ...ENVIRONMENTS.ha, edge: { ...ENVIRONMENTS.ha.edge, image: { registry: 'registry.corp.example/nginxinc' } } });
    const nginx = podTemplates(objects).find(({ object }) => object.metadata.name === 'nginx')!;
    expect(nginx.template.spec.containers[0].image).toBe('registry.corp.example/nginxinc/nginx-unprivileged:1.27.3');
  });
});

describe('bad input', () => {
  test.each([
    [{ imagePullSecrets: ['Corp_Registry'] }, 'release.imagePullSecrets[0]', 'is not a Secret name'],
    [{ imagePullSecrets: ['a', 'a'] }, 'release.imagePullSecrets', 'a is listed twice'],
    [{ registryMirror: 'https://registry.corp.example' }, 'release.registryMirror', 'is not a registry'],
    [{ registryMirror: {} }, 'release.registryMirror', 'the map names no upstream registry'],
    [{ registryMirror: { 'docker.io': 'Harbor Corp' } }, 'release.registryMirror.docker.io', 'is not a registry'],
    [
      { registryMirror: { 'quay.io': 'harbor.corp.example/quay' } },
      'release.registryMirror',
      'which the mirror map does not name. Fix: add docker.io to release.registryMirror',
    ],
  ])('%j', (release, setting, message) => {
    expectSettingError(() => synth(withRelease(ENVIRONMENTS.ha, release as StackStormHaSettings['release'])), setting, message);
  });
});
