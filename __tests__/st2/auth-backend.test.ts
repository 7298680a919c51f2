/**
 * st2.auth: the backend and its kwargs in st2.conf, Secret kwargs filled in by st2auth's
 * prepare step (never in a ConfigMap), the htpasswd Secret only for flat_file, and egress to
 * the backend.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ENVIRONMENTS } from '../../environments';
import { StackStormHaSettings } from '../../lib';
import { prepareScript } from '../../lib/common/prepare-script';
import { expectSettingError } from '../support/errors';
import { parse as parseIni } from '../support/ini';
import { validateAll } from '../support/k8s-schema';
import { interpreters } from '../support/python';
import { find, podTemplates, synth } from '../support/synth';

const LDAP: StackStormHaSettings['st2'] = {
  auth: {
    backend: 'ldap',
    backendKwargs: {
      host: 'ldap.corp.example',
      port: 636,
      use_ssl: true,
      bind_dn: 'cn=st2,dc=corp',
      base_ou: 'ou=people,dc=corp',
      group_dns: ['cn=st2,ou=groups,dc=corp'],
    },
    secretKwargs: { bind_password: { secret: 'st2-ldap', key: 'password' } },
  },
};
const settings: StackStormHaSettings = { ...ENVIRONMENTS.ha, st2: { ...ENVIRONMENTS.ha.st2, ...LDAP } };
const objects = synth(settings);
const config = find(objects, 'ConfigMap', 'st2-config').data!;
const auth = podTemplates(objects).find(({ object }) => object.metadata.name === 'st2auth')!.template.spec;

test('st2.conf names the backend and its non-secret kwargs; the secret never reaches a ConfigMap', () => {
  const conf = parseIni(config['st2.conf']).auth;
  expect(conf.backend).toBe('ldap');
  expect(JSON.parse(conf.backend_kwargs)).toEqual({
    host: 'ldap.corp.example',
    port: 636,
    use_ssl: true,
    bind_dn: 'cn=st2,dc=corp',
    base_ou: 'ou=people,dc=corp',
    group_dns: ['cn=st2,ou=groups,dc=corp'],
  });
  const template = parseIni(config['st2auth.secrets.conf.template']).auth.backend_kwargs;
  expect(template).toContain('"bind_password": "${ST2_AUTH_BIND_PASSWORD_JSON}"');
  // The bind password itself is only ever a placeholder: no object carries a value for it.
  expect(
    JSON.stringify(objects)
      .match(/bind_password[^,}]*/g)
      ?.every((hit) => hit.includes('ST2_AUTH_BIND_PASSWORD_JSON')),
  ).toBe(true);
});

test("st2auth's prepare step fills its own template from the Secret; no other pod reads the bind password", () => {
  const prepare = auth.initContainers.find((c: { name: string }) => c.name === 'prepare');
  expect(prepare.command).toContain('/etc/st2/shared/st2auth.secrets.conf.template');
  expect(prepare.env).toContainEqual({ name: 'ST2_AUTH_BIND_PASSWORD', valueFrom: { secretKeyRef: { name: 'st2-ldap', key: 'password' } } });
  const others = podTemplates(objects).filter(({ object }) => object.metadata.name !== 'st2auth');
  expect(JSON.stringify(others)).not.toContain('st2-ldap');
  // LDAP, not flat_file: no htpasswd Secret in st2auth.
  expect(JSON.stringify(auth.volumes)).not.toContain('st2-htpasswd');
  expect(validateAll(objects)).toEqual([]);
});

test('st2auth may reach the LDAP server on the port its kwargs name, nothing else gains egress', () => {
  const policy = find(objects, 'NetworkPolicy', 'st2auth');
  expect(policy.spec.egress).toContainEqual({
    to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }],
    ports: [{ port: 636, protocol: 'TCP' }],
  });
  const limited = synth({ ...settings, networkPolicy: { authBackendCidrs: ['10.20.0.0/16'] } });
  expect(find(limited, 'NetworkPolicy', 'st2auth').spec.egress).toContainEqual({
    to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
    ports: [{ port: 636, protocol: 'TCP' }],
  });
  expect(JSON.stringify(find(synth(ENVIRONMENTS.ha), 'NetworkPolicy', 'st2auth').spec.egress)).not.toContain('636');
});

test('the default stays flat_file with the htpasswd Secret and no st2auth template', () => {
  const data = find(synth(ENVIRONMENTS.ha), 'ConfigMap', 'st2-config').data!;
  expect(parseIni(data['st2.conf']).auth).toEqual(expect.objectContaining({ backend: 'flat_file', backend_kwargs: '{"file_path": "/etc/st2/auth/htpasswd"}' }));
  expect(data['st2auth.secrets.conf.template']).toBeUndefined();
});

const { found, missing } = interpreters();
for (const name of missing) test.skip(`prepare.py _JSON under ${name} (not on this machine)`, () => undefined);
test.each(found.map((python) => [python.name, python.executable] as const))(
  'prepare.py under %s writes backend_kwargs as JSON with the Secret value escaped',
  (_, python) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prepare-auth-'));
    try {
      fs.writeFileSync(path.join(dir, 'prepare.py'), prepareScript());
      fs.writeFileSync(path.join(dir, 'template'), config['st2auth.secrets.conf.template']);
      const out = path.join(dir, 'out');
      const env = { ST2_MONGODB_PASSWORD: 'm', ST2_RABBITMQ_PASSWORD: 'r', ST2_AUTH_BIND_PASSWORD: 'p"a\\ss$word\n2' };
      execFileSync(python, [path.join(dir, 'prepare.py'), path.join(dir, 'template'), out], { env });
      const kwargs = parseIni(fs.readFileSync(out, 'utf8')).auth.backend_kwargs;
      // oslo.config turns "$$" back into "$"; then it is the JSON st2's LDAP backend reads.
      expect(JSON.parse(kwargs.replace(/\$\$/g, '$'))).toEqual(expect.objectContaining({ host: 'ldap.corp.example', bind_password: 'p"a\\ss$word\n2' }));
      const refused = spawnSync(python, [path.join(dir, 'prepare.py'), path.join(dir, 'template'), path.join(dir, 'x')], {
        env: { ...env, ST2_AUTH_BIND_PASSWORD: 'a\\$b' },
        encoding: 'utf8',
      });
      expect([refused.status, refused.stderr]).toEqual([1, expect.stringContaining('ST2_AUTH_BIND_PASSWORD contains a backslash before a $')]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

describe('bad input', () => {
  const withAuth = (auth: object) => ({ ...ENVIRONMENTS.ha, st2: { ...ENVIRONMENTS.ha.st2, auth } }) as StackStormHaSettings;
  test.each([
    [{ backend: 'LDAP!' }, 'st2.auth.backend', 'is not a backend name'],
    [{ backendKwargs: { file_path: '/x' } }, 'st2.auth.backendKwargs', 'flat_file reads the htpasswd Secret at a path StackStormHa manages'],
    [{ secretKwargs: { x: { secret: 'a', key: 'b' } } }, 'st2.auth.secretKwargs', 'flat_file reads the htpasswd Secret'],
    [{ backend: 'ldap', backendKwargs: { 'bad-key': 1 } }, 'st2.auth.backendKwargs.bad-key', 'is not a keyword name'],
    [{ backend: 'ldap', backendKwargs: { host: { nested: 1 } } }, 'st2.auth.backendKwargs.host', 'is not a scalar or a list of strings'],
    [
      { backend: 'ldap', backendKwargs: { bind_password: 'x' }, secretKwargs: { bind_password: { secret: 'a', key: 'b' } } },
      'st2.auth.secretKwargs.bind_password',
      'is also in st2.auth.backendKwargs',
    ],
    [
      { backend: 'ldap', secretKwargs: { bind_password: { secret: 'St2 LDAP', key: 'password' } } },
      'st2.auth.secretKwargs.bind_password.secret',
      'is not a Secret name',
    ],
    [
      { backend: 'ldap', secretKwargs: { bind_password: { secret: 'st2-ldap', key: 'pass word' } } },
      'st2.auth.secretKwargs.bind_password.key',
      'is not a Secret key',
    ],
  ])('%j', (auth, setting, message) => expectSettingError(() => synth(withAuth(auth)), setting, message));
});
