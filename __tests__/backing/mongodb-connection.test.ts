/** datastores.mongodb: authSource in both modes, an external set's CA, and the replica-set key that counts. */
import { ENVIRONMENTS } from '../../environments';
import { StackStormHaSettings } from '../../lib';
import { expectSettingError } from '../support/errors';
import { parse as parseIni } from '../support/ini';
import { validateAll } from '../support/k8s-schema';
import { find, podTemplates, synth } from '../support/synth';

const withMongo = (mongodb: NonNullable<StackStormHaSettings['datastores']>['mongodb']): StackStormHaSettings => ({
  ...ENVIRONMENTS.ha,
  datastores: { ...ENVIRONMENTS.ha.datastores, mongodb },
});
const database = (objects: ReturnType<typeof synth>) => parseIni(find(objects, 'ConfigMap', 'st2-config').data!['st2.conf']).database;
const external = {
  mode: 'external' as const,
  external: { hosts: ['mongo-a.corp.example:27017', 'mongo-b.corp.example:27017'], replicaSet: 'rs-st2', tls: true, tlsCaSecret: 'corp-ca' },
};

test('in-cluster: authSource defaults to the database; set, the user is created there with its roles on st2', () => {
  expect(database(synth(ENVIRONMENTS.ha)).host).toMatch(/authSource=st2$/);
  const objects = synth(withMongo({ authSource: 'admin' }));
  expect(database(objects).host).toMatch(/\?replicaSet=rs0&authSource=admin$/);
  const script = find(objects, 'ConfigMap', 'mongodb-scripts').data!['create-user.js'];
  expect(script).toContain('const database = "admin";');
  expect(script).toContain('"db": "st2"');
});

test('external with TLS and a CA: every st2 container mounts ca.crt where tls_ca_file points', () => {
  const objects = synth(withMongo({ ...external, authSource: 'admin' }));
  const conf = database(objects);
  expect(conf.host).toBe('mongodb://mongo-a.corp.example:27017,mongo-b.corp.example:27017/st2?replicaSet=rs-st2&authSource=admin&tls=true');
  expect(conf.tls_ca_file).toBe('/etc/st2/mongodb-ca/ca.crt');
  // Every pod of an st2 image whose main container goes through the prepare step (st2 processes and content Jobs).
  const st2Pods = podTemplates(objects).filter(
    ({ template }) =>
      template.spec.containers[0].image.includes('/stackstorm/') && template.spec.initContainers?.some((c: { name: string }) => c.name === 'prepare'),
  );
  expect(st2Pods.length).toBeGreaterThan(8);
  for (const { object, template } of st2Pods) {
    const volume = template.spec.volumes.find((v: any) => v.secret?.secretName === 'corp-ca');
    expect([object.metadata.name, volume?.secret.items]).toEqual([object.metadata.name, [{ key: 'ca.crt', path: 'ca.crt' }]]);
    const main = template.spec.containers[0];
    expect(main.volumeMounts).toContainEqual({ name: volume.name, mountPath: '/etc/st2/mongodb-ca', readOnly: true });
  }
  expect(validateAll(objects)).toEqual([]);
});

test('without a CA nothing is mounted and st2.conf names no CA file', () => {
  const objects = synth(withMongo({ ...external, external: { ...external.external, tlsCaSecret: undefined } }));
  expect(database(objects).tls_ca_file).toBeUndefined();
  expect(JSON.stringify(objects)).not.toContain('mongodb-ca');
});

describe('bad input', () => {
  test.each([
    [{ ...external, replicaSet: 'rs-st2' }, 'datastores.mongodb.replicaSet', 'set datastores.mongodb.external.replicaSet'],
    [{ ...external, external: { ...external.external, tls: false } }, 'datastores.mongodb.external.tlsCaSecret', 'a CA without TLS is never used'],
    [{ ...external, authSource: 'ad min' }, 'datastores.mongodb.authSource', 'is not a database name'],
    [{ authSource: 'ad$min' }, 'datastores.mongodb.authSource', 'is not a database name'],
  ])('%j', (mongodb, setting, message) => expectSettingError(() => synth(withMongo(mongodb as never)), setting, message));
});
