/** st2.config: StackStorm's own options pass through into st2.conf; ours and unknown ones are refused by name. */
import { ENVIRONMENTS } from '../../environments';
import { StackStormHaSettings } from '../../lib';
import { ST2_OPTIONS } from '../../lib/config/st2-options';
import { expectSettingError } from '../support/errors';
import { parse as parseIni } from '../support/ini';
import { find, synth } from '../support/synth';

const withSt2 = (st2: StackStormHaSettings['st2']): StackStormHaSettings => ({ ...ENVIRONMENTS.ha, st2: { ...ENVIRONMENTS.ha.st2, ...st2 } });
const st2Conf = (settings: StackStormHaSettings) => parseIni(find(synth(settings), 'ConfigMap', 'st2-config').data!['st2.conf']);

test('options StackStorm registers are merged after our keys, typed as oslo.config reads them', () => {
  const conf = st2Conf(
    withSt2({
      config: {
        actionrunner: { python_binary: '/usr/bin/python3' },
        api: { max_page_size: 500, mask_secrets: false },
        log: { mask_secrets_blacklist: ['token', 'key'] },
        ssh_runner: { use_ssh_config: true },
      },
    }),
  );
  expect(conf.actionrunner).toEqual(expect.objectContaining({ python_binary: '/usr/bin/python3', graceful_shutdown: 'True' }));
  expect(conf.api).toEqual(expect.objectContaining({ max_page_size: '500', mask_secrets: 'False', allow_origin: 'https://stackstorm.example.com' }));
  expect(conf.log.mask_secrets_blacklist).toBe('token,key');
  expect(conf.ssh_runner.use_ssh_config).toBe('True');
});

test('a literal $ is written $$, so oslo.config does not read it as an interpolation', () => {
  expect(st2Conf(withSt2({ config: { actionrunner: { virtualenv_opts: '--prompt=$st2' } } })).actionrunner.virtualenv_opts).toBe('--prompt=$$st2');
});

test('st2.allowOrigins adds to the origin derived from publicUrl', () => {
  expect(st2Conf(withSt2({ allowOrigins: ['https://ops.example.com', 'http://localhost:3000'] })).api.allow_origin).toBe(
    'https://stackstorm.example.com,https://ops.example.com,http://localhost:3000',
  );
});

test("the option list is StackStorm 3.9's: the options the issue names are there with their types", () => {
  expect(ST2_OPTIONS.api.max_page_size).toBe('integer');
  expect(ST2_OPTIONS.actionrunner.python_binary).toBe('string');
  expect(ST2_OPTIONS.api.allow_origin).toBe('list');
  expect(ST2_OPTIONS.auth.backend_kwargs).toBe('string');
  expect(Object.keys(ST2_OPTIONS).length).toBeGreaterThan(25);
});

describe('refused, naming the setting that controls it', () => {
  test.each([
    [
      { database: { host: 'mongodb://elsewhere' } },
      'st2.config.database.host',
      '[database] host is set by StackStormHa for correctness. Fix: use datastores.mongodb instead',
    ],
    [{ database: { password: 'x' } }, 'st2.config.database.password', 'use datastores.mongodb'],
    [{ messaging: { url: 'amqp://x' } }, 'st2.config.messaging.url', 'use datastores.rabbitmq'],
    [{ coordination: { url: 'redis://x' } }, 'st2.config.coordination.url', 'use datastores.coordination'],
    [{ api: { allow_origin: ['https://x'] } }, 'st2.config.api.allow_origin', 'add origins with st2.allowOrigins'],
    [{ auth: { backend: 'ldap' } }, 'st2.config.auth.backend', 'Fix: use st2.auth (backend, backendKwargs, secretKwargs'],
    [{ rbac: { enable: true } }, 'st2.config.rbac.enable', 'Fix: use st2.rbac (enabled, roles'],
    [{ keyvalue: { encryption_key_path: '/x' } }, 'st2.config.keyvalue.encryption_key_path', 'use secrets.datastoreKey'],
    [{ stream: { heartbeat: 5 } }, 'st2.config.stream.heartbeat', 'stream timeout is derived'],
    [{ sensorcontainer: { partition_provider: 'name:default' } }, 'st2.config.sensorcontainer.partition_provider', 'st2.sensorContainer.partitioning'],
  ])('%j', (config, setting, message) => expectSettingError(() => synth(withSt2({ config })), setting, message));
});

describe('bad input', () => {
  test.each([
    [{ actionruner: { python_binary: 'x' } }, 'st2.config.actionruner', 'StackStorm registers no such section. Fix: did you mean actionrunner?'],
    [{ api: { max_page_sise: 5 } }, 'st2.config.api.max_page_sise', 'StackStorm registers no option max_page_sise in [api]. Fix: did you mean max_page_size?'],
    [{ api: { zzzzzzzzzzzzzzzz: 5 } }, 'st2.config.api.zzzzzzzzzzzzzzzz', 'use one of the options StackStorm 3.9 registers'],
    [{ api: { max_page_size: '500' } }, 'st2.config.api.max_page_size', '"500" is not an integer'],
    [{ api: { mask_secrets: 'no' } }, 'st2.config.api.mask_secrets', '"no" is not a boolean'],
    [{ actionrunner: { python_binary: ['a', 'b'] } }, 'st2.config.actionrunner.python_binary', 'is a list, but the option is a single string'],
    [{ actionrunner: { python_binary: 'a\nb' } }, 'st2.config.actionrunner.python_binary', 'contains a line break'],
    [{ actionrunner: { python_binary: true } }, 'st2.config.actionrunner.python_binary', 'true is a boolean, but the option is a string'],
  ])('%j', (config, setting, message) => expectSettingError(() => synth(withSt2({ config: config as never })), setting, message));

  test('an origin that is not scheme://host[:port]', () => {
    expectSettingError(() => synth(withSt2({ allowOrigins: ['https://ops.example.com/ui'] })), 'st2.allowOrigins[0]', 'is not an origin');
  });
});
