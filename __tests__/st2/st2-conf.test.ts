import { renderIni } from '../../lib/common/ini';
import { mongoUri, renderSt2Conf, St2ConfInput, st2SecretsTemplate } from '../../lib/st2/st2-conf';
import { prepareScript } from '../../lib/common/prepare-script';
import { interpreters } from '../support/python';
import { parse } from '../support/ini';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const input: St2ConfInput = {
  mongo: {
    hosts: ['m0:27017', 'm1:27017', 'm2:27017'],
    replicaSet: 'rs0',
    database: 'st2',
    authSource: 'st2',
    username: 'st2',
    password: { name: 'st2-mongodb', key: 'password' },
  },
  rabbit: { hosts: ['r0:5672', 'r1:5672', 'r2:5672'], vhost: '', username: 'st2', password: { name: 'st2-rabbitmq', key: 'password' } },
  coordination: { backend: 'redis-sentinel', url: 'redis://s0:26379?sentinel=st2&sentinel_fallback=s1:26379', hosts: ['s0:26379'] },
  apiUrl: 'https://st2.example.com/api',
  webUrl: 'https://st2.example.com',
  authEnabled: true,
  rbacEnabled: false,
  systemUser: 'stanley',
  actionRunnerDrainSeconds: 300,
  workflowEngineDrainSeconds: 300,
  streamHeartbeatSeconds: 25,
  timersIn: 'timersengine',
};

/** Parses INI text into sections (enough for our renderer's output). */
const ini = parse;

describe('renderSt2Conf', () => {
  const conf = ini(renderSt2Conf(input));

  test('database is the replica-set URI listing every member, without a password', () => {
    expect(conf.database.host).toBe('mongodb://m0:27017,m1:27017,m2:27017/st2?replicaSet=rs0&authSource=st2');
    expect(conf.database.password).toBeUndefined();
    expect(renderSt2Conf(input)).not.toMatch(/password/i);
  });

  test('coordination, auth, content, system user, key path, drains', () => {
    expect(conf.coordination.url).toBe(input.coordination.url);
    expect(conf.auth).toMatchObject({ enable: 'True', backend: 'flat_file', api_url: 'https://st2.example.com/api' });
    expect(conf.content.packs_base_paths).toBe('/opt/stackstorm/packs');
    expect(conf.system_user).toEqual({ user: 'stanley', ssh_key_file: '/home/stanley/.ssh/stanley_rsa' });
    expect(conf.keyvalue.encryption_key_path).toBe('/etc/st2/keys/datastore_key.json');
    expect(conf.actionrunner.exit_still_active_check).toBe('300');
    expect(conf.workflow_engine.exit_still_active_check).toBe('300');
    expect(conf.stream.heartbeat).toBe('25');
  });

  test('3.x timers run in the timers engine; no [timer] section', () => {
    expect(conf.timersengine.enable).toBe('True');
    expect(conf.timer).toBeUndefined();
  });

  test('garbage collection TTLs render only when configured', () => {
    expect(conf.garbagecollector).toBeUndefined();
    const gc = ini(renderSt2Conf({ ...input, garbageCollection: { actionExecutionsDays: 30, tokensDays: 7 } }));
    expect(gc.garbagecollector).toEqual({ collection_interval: '600', action_executions_ttl: '30', tokens_ttl: '7' });
  });

  test("no coordination renders an empty url: tooz's no-op, overriding the image's redis on 127.0.0.1", () => {
    expect(ini(renderSt2Conf({ ...input, coordination: { backend: 'none', hosts: [] } })).coordination).toEqual({ url: '' });
  });

  test('no [log] section: StackStorm registers no such option (levels come from the logging config files)', () => {
    expect(ini(renderSt2Conf(input)).log).toBeUndefined();
  });

  test('the 2.x drain options only when the release has a graceful shutdown', () => {
    expect(ini(renderSt2Conf(input)).actionrunner).toEqual({
      graceful_shutdown: 'True',
      exit_still_active_check: String(input.actionRunnerDrainSeconds),
      still_active_check_interval: '2',
    });
    expect(ini(renderSt2Conf({ ...input, actionRunnerDrainSeconds: undefined })).actionrunner).toBeUndefined();
  });

  test('the public URL goes to webui_base_url (notification links), never to api_url', () => {
    const conf = ini(renderSt2Conf(input));
    expect(conf.webui).toEqual({ webui_base_url: input.webUrl });
    expect(conf.auth.api_url).toBe(input.apiUrl);
  });

  test('mongoUri with TLS and no replica set', () => {
    expect(mongoUri({ ...input.mongo, replicaSet: undefined, authSource: undefined, tls: true, hosts: ['db:27017'] })).toBe('mongodb://db:27017/st2?tls=true');
  });

  test('a value with a line break is refused', () => {
    expect(() => renderIni({ a: { b: 'x\ny' } })).toThrow(/line break/);
  });
});

describe('secrets file', () => {
  test('template lists every RabbitMQ node with a URL-quoted password placeholder', () => {
    const template = ini(st2SecretsTemplate(input));
    expect(template.database.password).toBe('${ST2_MONGODB_PASSWORD}');
    expect(template.messaging.cluster_urls.split(',')).toEqual([
      'amqp://st2:${ST2_RABBITMQ_PASSWORD_URLQ}@r0:5672/',
      'amqp://st2:${ST2_RABBITMQ_PASSWORD_URLQ}@r1:5672/',
      'amqp://st2:${ST2_RABBITMQ_PASSWORD_URLQ}@r2:5672/',
    ]);
  });

  const { found, missing } = interpreters();
  for (const name of missing) test.skip(`prepare.py under ${name} (not on this machine)`, () => undefined);
  const each = found.map((python) => [python.name, python.executable] as const);

  test.each(each)('prepare.py under %s waits for a listener and writes the file with quoted passwords, mode 0400', (_, python) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prepare-'));
    try {
      fs.writeFileSync(path.join(dir, 'prepare.py'), prepareScript());
      fs.writeFileSync(path.join(dir, 'template'), st2SecretsTemplate(input));
      const out = path.join(dir, 'st2.secrets.conf');
      execFileSync(python, [path.join(dir, 'prepare.py'), path.join(dir, 'template'), out], {
        env: { ST2_MONGODB_PASSWORD: 'm$ng/o', ST2_RABBITMQ_PASSWORD: 'p@ss:w/rd$1' },
      });
      const written = ini(fs.readFileSync(out, 'utf8'));
      // oslo.config reads "$$" as one literal "$" (a lone "$ng" would be a reference).
      expect(written.database.password).toBe('m$$ng/o');
      expect(written.messaging.cluster_urls.split(',')[0]).toBe('amqp://st2:p%40ss%3Aw%2Frd%241@r0:5672/');
      expect(fs.statSync(out).mode & 0o777).toBe(0o400);
      // A line break cannot live in an INI value: refused by name, nothing written.
      const broken = spawnSync(python, [path.join(dir, 'prepare.py'), path.join(dir, 'template'), path.join(dir, 'y')], {
        env: { ST2_MONGODB_PASSWORD: 'secret\n', ST2_RABBITMQ_PASSWORD: 'x' },
        encoding: 'utf8',
      });
      expect(broken.status).toBe(1);
      expect(broken.stderr).toContain('ST2_MONGODB_PASSWORD contains a line break');
      expect(fs.existsSync(path.join(dir, 'y'))).toBe(false);
      // What oslo.config would change behind our back is refused, naming the variable.
      for (const [password, problem] of [
        [' padded', 'starts or ends with a blank'],
        ['"quoted"', 'starts or ends with a blank or is quoted'],
        ['a\\$b', 'contains a backslash before a $'],
      ]) {
        const refused = spawnSync(python, [path.join(dir, 'prepare.py'), path.join(dir, 'template'), path.join(dir, 'z')], {
          env: { ST2_MONGODB_PASSWORD: password, ST2_RABBITMQ_PASSWORD: 'x' },
          encoding: 'utf8',
        });
        expect([password, refused.status, refused.stderr]).toEqual([password, 1, expect.stringContaining(`ST2_MONGODB_PASSWORD ${problem}`)]);
      }
      // In a URL the value is percent-encoded, so nothing there is refused.
      const inUrl = spawnSync(python, [path.join(dir, 'prepare.py'), path.join(dir, 'template'), path.join(dir, 'w')], {
        env: { ST2_MONGODB_PASSWORD: 'fine', ST2_RABBITMQ_PASSWORD: ' a\\$b ' },
        encoding: 'utf8',
      });
      expect(inUrl.status).toBe(0);
      expect(ini(fs.readFileSync(path.join(dir, 'w'), 'utf8')).messaging.cluster_urls).toContain('amqp://st2:%20a%5C%24b%20@r0:5672/');
      // A missing Secret value fails the pod start instead of writing an empty password.
      expect(() =>
        execFileSync(python, [path.join(dir, 'prepare.py'), path.join(dir, 'template'), path.join(dir, 'x')], {
          env: {},
          stdio: 'pipe',
        }),
      ).toThrow();
      // An unreachable datastore times out (bounded by ST2_WAIT_SECONDS).
      expect(() =>
        execFileSync(python, [path.join(dir, 'prepare.py'), path.join(dir, 'template'), path.join(dir, 'y'), '127.0.0.1:1'], {
          env: { ST2_WAIT_SECONDS: '0' },
          stdio: 'pipe',
        }),
      ).toThrow(/timed out waiting for one of 127.0.0.1:1/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
