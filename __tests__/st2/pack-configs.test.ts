/** content.packConfigsSecret: pack configs in images mode, read-only from a Secret in every pod that reads packs. */
import { ENVIRONMENTS } from '../../environments';
import { StackStormHaSettings } from '../../lib';
import { expectSettingError } from '../support/errors';
import { validateAll } from '../support/k8s-schema';
import { podTemplates, synth } from '../support/synth';

const images = (extra: object = {}): StackStormHaSettings => ({
  ...ENVIRONMENTS.ha,
  content: { strategy: 'images', images: [{ registry: 'registry.corp.example', repository: 'st2-packs', tag: '1.4.0' }], ...extra },
});
const packReaders = (settings: StackStormHaSettings) =>
  podTemplates(synth(settings)).filter(({ template }) =>
    template.spec.containers[0].volumeMounts?.some((m: { mountPath: string }) => m.mountPath === '/opt/stackstorm/packs'),
  );

test('every pod that reads packs mounts the Secret read-only at /opt/stackstorm/configs', () => {
  const readers = packReaders(images({ packConfigsSecret: 'st2-pack-configs' }));
  expect(readers.map(({ object }) => object.metadata.name)).toEqual(
    expect.arrayContaining(['st2actionrunner', 'st2sensorcontainer', 'st2api', 'st2-register-content']),
  );
  for (const { object, template } of readers) {
    const volume = template.spec.volumes.find((v: any) => v.secret?.secretName === 'st2-pack-configs');
    expect([object.metadata.name, template.spec.containers[0].volumeMounts]).toEqual([
      object.metadata.name,
      expect.arrayContaining([{ name: volume.name, mountPath: '/opt/stackstorm/configs', readOnly: true }]),
    ]);
  }
  expect(validateAll(synth(images({ packConfigsSecret: 'st2-pack-configs' })))).toEqual([]);
});

test('without it, images mode mounts no configs', () => {
  for (const { template } of packReaders(images())) {
    expect(template.spec.containers[0].volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/opt/stackstorm/configs')).toBe(false);
  }
});

test('a name that is not a Secret name', () => {
  expectSettingError(() => synth(images({ packConfigsSecret: 'Pack Configs' })), 'content.packConfigsSecret', 'is not a Secret name');
});
