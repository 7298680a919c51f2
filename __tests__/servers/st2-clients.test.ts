/**
 * st2's own client libraries read what dist/ holds: oslo.config resolves the layered
 * `--config-file`s of an st2 container (the image's own st2.conf first, as the image model
 * records it, then ours, then the secrets file prepare.py writes from Secret values), and
 * pymongo parses `[database] host`. Debian 12's python3-oslo.config 9.0.0 and
 * python3-pymongo 3.11 (st2 3.9 pins oslo.config 9.6.0 and pymongo 3.12): the layering, the
 * `$` interpolation and the URI options tested here are the same in both.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { renderIni } from '../../lib/common/ini';
import { ST2_IMAGE_CONF, ST2_IMAGE_CONF_MUST_OVERRIDE } from '../../lib/images/image-model';
import { parse as parseIni } from '../support/ini';
import { TEST_ONLY_ENVIRONMENTS } from '../support/environments';
import { find, K8sObject, podTemplates, synth } from '../support/synth';

const PYTHON = '/usr/bin/python3'; // Debian's, where python3-oslo.config installs
const HERE = path.join(__dirname, 'clients');
// A `$name` that names a real option: unescaped, oslo.config would quietly put db_name there.
const MONGO_PASSWORD = 'p$db_name-$$x{1}';
const RABBIT_PASSWORD = 'r@bbit:p/w$%';

const read = (environment: string, file: string): K8sObject => parse(fs.readFileSync(path.join(__dirname, '..', '..', 'dist', environment, file), 'utf8'));

function python(script: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(PYTHON, [path.join(HERE, script), ...args], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, ...env } });
  if (result.error) throw result.error;
  return result;
}

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'st2-clients-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The files st2api of `environment` reads, in its order, as local copies; `secrets` replaces what prepare.py writes. */
function layers(environment: string, secrets?: string): string[] {
  const config = read(environment, 'ConfigMap.st2-config.k8s.yaml').data!;
  const command: string[] = read(environment, 'Deployment.st2api.k8s.yaml').spec.template.spec.containers[0].command;
  const dir = fs.mkdtempSync(path.join(work, `${environment}-`));
  const local: Record<string, string> = {
    '/etc/st2/st2.conf': renderIni(ST2_IMAGE_CONF),
    '/etc/st2/st2.docker.conf': '# comments only in the images\n',
    '/etc/st2/shared/st2.conf': config['st2.conf'],
  };
  if (secrets !== undefined) {
    local['/etc/st2/secrets/st2.secrets.conf'] = secrets;
  } else {
    fs.writeFileSync(path.join(dir, 'prepare.py'), config['prepare.py']);
    fs.writeFileSync(path.join(dir, 'template'), config['st2.secrets.conf.template']);
    const prepared = spawnSync(PYTHON, [path.join(dir, 'prepare.py'), path.join(dir, 'template'), path.join(dir, 'secrets.conf')], {
      encoding: 'utf8',
      env: { ST2_MONGODB_PASSWORD: MONGO_PASSWORD, ST2_RABBITMQ_PASSWORD: RABBIT_PASSWORD },
    });
    expect([prepared.status, prepared.stderr]).toEqual([0, '']);
    local['/etc/st2/secrets/st2.secrets.conf'] = fs.readFileSync(path.join(dir, 'secrets.conf'), 'utf8');
  }
  return command
    .filter((arg) => arg.startsWith('--config-file='))
    .map((arg, index) => {
      const file = arg.slice('--config-file='.length);
      expect([file, local[file] !== undefined]).toEqual([file, true]);
      const copy = path.join(dir, `${index}-${path.basename(file)}`);
      fs.writeFileSync(copy, local[file]);
      return copy;
    });
}

/** Every option any layer sets, with the type st2 registers it under. */
function options(files: string[]): Record<string, string> {
  const lists = new Set(['messaging.cluster_urls', 'api.allow_origin']);
  const all: Record<string, string> = {};
  for (const file of files) {
    for (const [section, keys] of Object.entries(parseIni(fs.readFileSync(file, 'utf8')))) {
      for (const key of Object.keys(keys)) all[`${section}.${key}`] = lists.has(`${section}.${key}`) ? 'list' : 'str';
    }
  }
  return all;
}

function resolve(files: string[]): Record<string, any> {
  const result = python('read-st2-conf.py', [JSON.stringify(options(files)), ...files]);
  expect([result.status, result.stderr]).toEqual([0, '']);
  return JSON.parse(result.stdout);
}

describe('oslo.config reads the layers of an st2 container as we mean them', () => {
  test("ha: our values win over the image's, passwords survive with their $ and URL characters", () => {
    const files = layers('ha');
    const values = resolve(files);
    const shared = parseIni(read('ha', 'ConfigMap.st2-config.k8s.yaml').data!['st2.conf']);
    expect(values['database.password']).toBe(MONGO_PASSWORD);
    expect(values['database.host']).toBe(shared.database.host);
    expect(values['coordination.url']).toBe(shared.coordination.url);
    expect(values['auth.api_url']).toBe('http://st2api.stackstorm.svc.cluster.local:9101');
    expect(values['auth.backend_kwargs']).toBe('{"file_path": "/etc/st2/auth/htpasswd"}');
    const urls: string[] = values['messaging.cluster_urls'];
    expect(urls).toHaveLength(3);
    for (const url of urls) expect(decodeURIComponent(new URL(url).password)).toBe(RABBIT_PASSWORD);
    for (const { option } of ST2_IMAGE_CONF_MUST_OVERRIDE) {
      const [section, key] = option.split('.');
      if (option === 'messaging.url') continue; // superseded by cluster_urls, which st2 reads first
      expect([option, String(values[option])]).not.toEqual([option, String((ST2_IMAGE_CONF as any)[section][key])]);
    }
  });

  test("dev: no coordination backend resolves to an empty url (the no-op), not the image's redis", () => {
    expect(resolve(layers('dev'))['coordination.url']).toBe('');
  });

  test('the escaping bites: written unescaped, the password quietly becomes another value', () => {
    const raw = `[database]\npassword = ${MONGO_PASSWORD}\n`;
    const values = resolve(layers('ha', raw));
    expect(values['database.password']).not.toBe(MONGO_PASSWORD);
    expect(values['database.password']).toContain('st2'); // $db_name was interpolated
  });
});

test('pymongo parses [database] host into the members, replica set and auth source we mean', () => {
  const host = parseIni(read('ha', 'ConfigMap.st2-config.k8s.yaml').data!['st2.conf']).database.host;
  const result = python('parse-mongo-uri.py', [host]);
  expect([result.status, result.stderr]).toEqual([0, '']);
  const parsed = JSON.parse(result.stdout);
  expect(parsed.nodes).toEqual([0, 1, 2].map((i) => `mongodb-${i}.mongodb-headless.stackstorm.svc.cluster.local:27017`));
  expect(parsed.database).toBe('st2');
  expect(parsed.options).toMatchObject({ replicaset: 'rs0', authsource: 'st2' });
});

test("oslo.config reads st2auth's layers of a production environment: LDAP kwargs with a Secret, passthrough options, the MongoDB CA", () => {
  // The test-only environment (not in dist/), built as the synth would.
  const objects = synth(TEST_ONLY_ENVIRONMENTS.varied, 'varied');
  const config = find(objects, 'ConfigMap', 'st2-config').data!;
  const auth = podTemplates(objects).find(({ object }) => object.metadata.name === 'st2auth')!.template.spec;
  const dir = fs.mkdtempSync(path.join(work, 'varied-'));
  const prepare = auth.initContainers.find((c: { name: string }) => c.name === 'prepare');
  const template = prepare.command[2] as string;
  expect(template).toBe('/etc/st2/shared/st2auth.secrets.conf.template');
  fs.writeFileSync(path.join(dir, 'prepare.py'), config['prepare.py']);
  fs.writeFileSync(path.join(dir, 'template'), config['st2auth.secrets.conf.template']);
  // A quote for JSON, `$name` and `$$` for oslo.config's interpolation.
  const bindPassword = 'b"ind$user-$$x';
  const prepared = spawnSync(PYTHON, [path.join(dir, 'prepare.py'), path.join(dir, 'template'), path.join(dir, 'secrets.conf')], {
    encoding: 'utf8',
    env: { ST2_MONGODB_PASSWORD: MONGO_PASSWORD, ST2_RABBITMQ_PASSWORD: RABBIT_PASSWORD, ST2_AUTH_BIND_PASSWORD: bindPassword },
  });
  expect([prepared.status, prepared.stderr]).toEqual([0, '']);
  const local: Record<string, string> = {
    '/etc/st2/st2.conf': renderIni(ST2_IMAGE_CONF),
    '/etc/st2/st2.docker.conf': '# comments only in the images\n',
    '/etc/st2/shared/st2.conf': config['st2.conf'],
    '/etc/st2/secrets/st2.secrets.conf': fs.readFileSync(path.join(dir, 'secrets.conf'), 'utf8'),
  };
  const files = (auth.containers[0].command as string[])
    .filter((arg) => arg.startsWith('--config-file='))
    .map((arg, index) => {
      const file = arg.slice('--config-file='.length);
      const copy = path.join(dir, `${index}-${path.basename(file)}`);
      fs.writeFileSync(copy, local[file]);
      return copy;
    });
  const result = python('read-st2-conf.py', [
    JSON.stringify({
      'auth.backend': 'str',
      'auth.backend_kwargs': 'str',
      'api.max_page_size': 'int',
      'actionrunner.python_binary': 'str',
      'database.tls_ca_file': 'str',
      'api.allow_origin': 'list',
    }),
    ...files,
  ]);
  expect([result.status, result.stderr]).toEqual([0, '']);
  const values = JSON.parse(result.stdout);
  expect(values['auth.backend']).toBe('ldap');
  // The JSON st2's LDAP backend gets: every kwarg, the Secret value exactly as in the Secret.
  expect(JSON.parse(values['auth.backend_kwargs'])).toEqual({
    host: 'ldap.corp.example',
    port: 636,
    use_ssl: true,
    bind_dn: 'cn=st2,dc=corp',
    base_ou: 'ou=people,dc=corp',
    group_dns: ['cn=st2,ou=groups,dc=corp'],
    bind_password: bindPassword,
  });
  expect(values['api.max_page_size']).toBe(500);
  expect(values['actionrunner.python_binary']).toBe('/usr/bin/python3');
  expect(values['database.tls_ca_file']).toBe('/etc/st2/mongodb-ca/ca.crt');
  expect(values['api.allow_origin']).toEqual(['https://st2.corp.example', 'https://ops.corp.example']);
});
