import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseIni } from '../support/ini';
import { ENVIRONMENTS } from '../../environments';
import { StackStormHaSettings } from '../../lib';
import { mistralConfDocument, mistralTransportUrl, renderMistralConfTemplate } from '../../lib/mistral/mistral-conf';
import { expectSettingError } from '../support/errors';
import { validateAll } from '../support/k8s-schema';
import { container, find, K8sObject, synth } from '../support/synth';

const LEGACY: StackStormHaSettings = ENVIRONMENTS['ha-legacy-mistral'];
const release = LEGACY.release!;
const objects = synth(LEGACY);
const deployment = (list: readonly K8sObject[], name: string) => find(list, 'Deployment', name);
const st2Deployments = (list: readonly K8sObject[]) => list.filter((o) => o.kind === 'Deployment' && /^(st2|mistral)/.test(o.metadata.name));
const withRelease = (extra: StackStormHaSettings): StackStormHaSettings => ({ ...LEGACY, ...extra, release: { ...release, ...extra.release } });

/**
 * The effective value of `[section] key` in one st2 Deployment: its overrides file, layered
 * after the shared st2.conf, wins. Read from the synthesized ConfigMaps.
 */
function effective(list: readonly K8sObject[], name: string, section: string, key: string): string | undefined {
  const shared = parseIni(find(list, 'ConfigMap', 'st2-config').data!['st2.conf']);
  const command: string[] = container(deployment(list, name)).command;
  const overridden = command.some((arg) => arg === `--config-file=/etc/st2/overrides/${name}.conf`);
  const own = overridden ? parseIni(find(list, 'ConfigMap', `${name}-config`).data![`${name}.conf`]) : {};
  return own[section]?.[key] ?? shared[section]?.[key];
}

/** Pods (replicas summed) whose effective `[section] enable` is True. */
function podsWith(list: readonly K8sObject[], executable: string, section: string): Record<string, number> {
  return Object.fromEntries(
    st2Deployments(list)
      .filter((d) => container(d).command?.[0] === `/opt/stackstorm/st2/bin/${executable}`)
      .filter((d) => effective(list, d.metadata.name, section, 'enable') === 'True')
      .map((d) => [d.metadata.name, d.spec.replicas]),
  );
}

test("the guide's processes, and none of the 3.x-only ones, with their replica defaults", () => {
  const replicas = Object.fromEntries(
    st2Deployments(objects)
      .filter((o) => !o.metadata.name.startsWith('st2sensorcontainer'))
      .map((o) => [o.metadata.name, o.spec.replicas]),
  );
  expect(replicas).toEqual({
    st2api: 2,
    st2auth: 2,
    st2stream: 2,
    st2web: 2,
    st2rulesengine: 2,
    'st2rulesengine-timers': 1,
    st2actionrunner: 3,
    st2notifier: 2,
    st2resultstracker: 2,
    'mistral-api': 2,
    'mistral-server': 2,
  });
  for (const name of ['st2timersengine', 'st2workflowengine', 'st2scheduler']) {
    expect(objects.filter((o) => o.metadata.name === name)).toEqual([]);
  }
  expect(validateAll(objects)).toEqual([]);
});

test("every st2 process runs the user's 2.x image, labelled with its version", () => {
  for (const d of st2Deployments(objects).filter((o) => o.metadata.name.startsWith('st2') && o.metadata.name !== 'st2web')) {
    const executable = container(d).command[0].split('/').pop();
    expect(container(d).image).toBe(`registry.example.com/st2-legacy/${executable}:2.8.1`);
    expect(d.metadata.labels!['app.kubernetes.io/version']).toBe('2.8.1');
  }
  expect(container(deployment(objects, 'st2resultstracker')).command[0]).toBe('/opt/stackstorm/st2/bin/st2resultstracker');
  expect(container(find(objects, 'Job', 'st2-register-content')).image).toBe('registry.example.com/st2-legacy/st2actionrunner:2.8.1');
});

test('timers: st2.conf turns them off, exactly one rules-engine pod turns them on, rolled with Recreate', () => {
  expect(effective(objects, 'st2rulesengine', 'timer', 'enable')).toBe('False');
  expect(podsWith(objects, 'st2rulesengine', 'timer')).toEqual({ 'st2rulesengine-timers': 1 });
  expect(parseIni(find(objects, 'ConfigMap', 'st2-config').data!['st2.conf']).timersengine).toBeUndefined();
  const holder = deployment(objects, 'st2rulesengine-timers');
  expect(holder.spec.strategy).toEqual({ type: 'Recreate' });
  expect(container(holder).command).toContain('--config-file=/etc/st2/overrides/st2rulesengine-timers.conf');
  expect(objects.some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'st2rulesengine-timers')).toBe(false);
  // Scaling the rules engines never adds a timer runner.
  const scaled = synth(withRelease({ st2: { ...LEGACY.st2, rulesEngine: { replicas: 5 } } }));
  expect(podsWith(scaled, 'st2rulesengine', 'timer')).toEqual({ 'st2rulesengine-timers': 1 });
});

test('timers: a second timer holder, or 3.x settings in the 2.x topology, are refused', () => {
  expectSettingError(() => synth(withRelease({ st2: { rulesEngine: { timers: { replicas: 2 } } } })), 'st2.rulesEngine.timers.replicas', 'singleton');
  expectSettingError(
    () => synth(withRelease({ st2: { timersEngine: { replicas: 1 } } })),
    'st2.timersEngine',
    'st2timersengine does not exist in the 2.x-mistral topology',
  );
  expectSettingError(() => synth(withRelease({ st2: { workflowEngine: {} } })), 'st2.workflowEngine', 'st2workflowengine does not exist');
  expectSettingError(() => synth(withRelease({ st2: { scheduler: { replicas: 2 } } })), 'st2.scheduler', 'st2scheduler does not exist');
  expectSettingError(() => synth({ st2: { rulesEngine: { timers: {} } } }), 'st2.rulesEngine.timers', 'runs timers in st2timersengine');
});

test("backup scheduler: on every notifier with a coordination backend, with st2's intervals", () => {
  expect(podsWith(objects, 'st2notifier', 'scheduler')).toEqual({ st2notifier: 2 });
  const own = parseIni(find(objects, 'ConfigMap', 'st2notifier-config').data!['st2notifier.conf']);
  expect(own.scheduler).toEqual({ enable: 'True', rescheduling_interval: '300', delayed_execution_recovery: '600' });
  for (const backend of ['zookeeper', 'external'] as const) {
    const coordinated = synth(withRelease({ datastores: { coordination: { backend, externalUrl: 'kazoo://zk-a:2181' } }, st2: { notifier: { replicas: 3 } } }));
    expect([backend, podsWith(coordinated, 'st2notifier', 'scheduler')]).toEqual([backend, { st2notifier: 3 }]);
  }
});

test('backup scheduler: without coordination, on exactly one notifier pod', () => {
  const alone = synth(withRelease({ datastores: { coordination: { backend: 'none' } }, st2: { notifier: { replicas: 3 }, actionRunner: { replicas: 1 } } }));
  expect(podsWith(alone, 'st2notifier', 'scheduler')).toEqual({ 'st2notifier-scheduler': 1 });
  expect(effective(alone, 'st2notifier', 'scheduler', 'enable')).toBe('False');
  expect(deployment(alone, 'st2notifier').spec.replicas).toBe(3);
  expect(deployment(alone, 'st2notifier-scheduler').spec.strategy).toEqual({ type: 'Recreate' });
  // Chosen explicitly, one holder also works with a backend.
  const designated = synth(withRelease({ st2: { notifier: { backupScheduler: 'one' } } }));
  expect(podsWith(designated, 'st2notifier', 'scheduler')).toEqual({ 'st2notifier-scheduler': 1 });
  expect(validateAll(alone)).toEqual([]);
});

test('backup scheduler: every notifier without coordination, or in 3.x, is refused', () => {
  expectSettingError(
    () =>
      synth(withRelease({ datastores: { coordination: { backend: 'none' } }, st2: { notifier: { backupScheduler: 'all' }, actionRunner: { replicas: 1 } } })),
    'st2.notifier.backupScheduler',
    'without a coordination backend would reschedule the same executions more than once',
  );
  expectSettingError(
    () => synth({ st2: { notifier: { backupScheduler: 'one' } } }),
    'st2.notifier.backupScheduler',
    'the 3.x topology has no backup scheduler',
  );
});

test("images: the topology needs the user's registry and a 2.0-2.8 tag", () => {
  expectSettingError(
    () => synth({ release: { topology: '2.x-mistral', version: '2.8.1' } }),
    'release.registry',
    'no official images exist for mistral-api, mistral-server or st2resultstracker',
  );
  expectSettingError(
    () => synth({ release: { topology: '2.x-mistral', registry: 'docker.io/stackstorm', version: '2.8.1' } }),
    'release.registry',
    'publishes no images of the 2.x-mistral topology',
  );
  expectSettingError(() => synth(withRelease({ release: { version: undefined } })), 'release.version', 'names no image tag');
  expectSettingError(() => synth(withRelease({ release: { version: '2.10.4' } })), 'release.version', '2.9 moved timers to st2timersengine');
  expectSettingError(() => synth({ release: { topology: '4.x' as never } }), 'release.topology', 'use 3.x or 2.x-mistral');
  expectSettingError(() => synth({ mistral: {} }), 'mistral', 'Mistral is not part of the 3.x topology');
  expectSettingError(() => synth({ st2: { resultsTracker: {} } }), 'st2.resultsTracker', 'not part of the 3.x topology');
});

test('st2.conf reaches Mistral, and Mistral reaches st2, through the load balancer', () => {
  const conf = parseIni(find(objects, 'ConfigMap', 'st2-config').data!['st2.conf']);
  expect(conf.mistral).toEqual({ v2_base_url: 'https://stackstorm.example.com/mistral/v2', api_url: 'https://stackstorm.example.com/api' });
  expect(conf.workflow_engine).toBeUndefined();
  const nginx = find(objects, 'ConfigMap', 'nginx-config').data!['nginx.conf'];
  expect(nginx).toMatch(
    /location \/mistral\/ \{[^}]*set \$mistral_api mistral-api\.stackstorm\.svc\.cluster\.local;[^}]*proxy_pass http:\/\/\$mistral_api:8989;/,
  );
  // 3.x keeps no Mistral route and no [mistral] section.
  const current = synth({});
  expect(find(current, 'ConfigMap', 'nginx-config').data!['nginx.conf']).not.toContain('/mistral/');
  expect(parseIni(find(current, 'ConfigMap', 'st2-config').data!['st2.conf']).mistral).toBeUndefined();
});

test('mistral.conf: every RabbitMQ node, PostgreSQL by psycopg2, port 8989, and no password', () => {
  const template = find(objects, 'ConfigMap', 'mistral-config').data!['mistral.conf.template'];
  const conf = parseIni(template);
  const node = (i: number) => `st2:\${ST2_RABBITMQ_PASSWORD_URLQ}@rabbitmq-${i}.rabbitmq-headless.stackstorm.svc.cluster.local:5672`;
  expect(conf.DEFAULT.transport_url).toBe(`rabbit://${node(0)},${node(1)},${node(2)}/`);
  expect(conf.database.connection).toBe('postgresql+psycopg2://mistral:${MISTRAL_DB_PASSWORD_URLQ}@postgresql.stackstorm.svc.cluster.local:5432/mistral');
  expect(conf.api).toEqual({ host: '0.0.0.0', port: '8989' });
  expect(conf.pecan).toEqual({ auth_enable: 'False' });
  // The only dollar signs are the placeholders prepare.py fills in (string.Template).
  expect(template.match(/\$/g)).toHaveLength(4);
  expect(template.match(/\$\{(ST2_RABBITMQ_PASSWORD|MISTRAL_DB_PASSWORD)_URLQ\}/g)).toHaveLength(4);
});

test('mistral.conf renderer: vhost, user and host encoding', () => {
  const rabbit = { hosts: ['a:5672', 'b:5673'], vhost: 'st2 prod', username: 'st@2', password: { name: 's', key: 'p' } };
  expect(mistralTransportUrl(rabbit)).toBe('rabbit://st%402:${ST2_RABBITMQ_PASSWORD_URLQ}@a:5672,st%402:${ST2_RABBITMQ_PASSWORD_URLQ}@b:5673/st2%20prod');
  const document = mistralConfDocument({
    rabbit,
    postgres: { host: 'pg.example.com:6432', database: 'wf', username: 'wf_user', password: { name: 's', key: 'p' } },
    apiPort: 9999,
  });
  expect(document.database.connection).toBe('postgresql+psycopg2://wf_user:${MISTRAL_DB_PASSWORD_URLQ}@pg.example.com:6432/wf');
  expect(document.api.port).toBe(9999);
  expect(renderMistralConfTemplate({ rabbit, postgres: { host: 'pg:5432', database: 'm', username: 'm', password: { name: 's', key: 'p' } } })).toMatch(
    /^\[DEFAULT\]$/m,
  );
});

test('mistral-api: Service on 8989, HTTP readiness, TCP liveness, PDB, spread; mistral-server: engine,executor,notifier', () => {
  const api = deployment(objects, 'mistral-api');
  const c = container(api);
  expect(c.image).toBe('registry.example.com/st2-legacy/mistral:2.8.1');
  expect(c.command).toEqual(['/opt/stackstorm/mistral/bin/mistral-server', '--server', 'api', '--config-file', '/etc/mistral/mistral.conf']);
  expect(c.ports).toEqual([{ containerPort: 8989, name: 'http' }]);
  expect(c.readinessProbe.httpGet).toMatchObject({ path: '/', port: 8989 });
  expect(c.livenessProbe.tcpSocket.port).toBe(8989);
  expect(find(objects, 'Service', 'mistral-api').spec.ports).toEqual([{ name: 'http', port: 8989, targetPort: 8989 }]);
  expect(find(objects, 'PodDisruptionBudget', 'mistral-api').spec.maxUnavailable).toBe(1);
  expect(api.spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('kubernetes.io/hostname');
  expect(api.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });

  const server = deployment(objects, 'mistral-server');
  expect(container(server).command).toEqual([
    '/opt/stackstorm/mistral/bin/mistral-server',
    '--server',
    'engine,executor,notifier',
    '--config-file',
    '/etc/mistral/mistral.conf',
  ]);
  expect(find(objects, 'PodDisruptionBudget', 'mistral-server').spec.maxUnavailable).toBe(1);
  expect(objects.some((o) => o.kind === 'Service' && o.metadata.name === 'mistral-server')).toBe(false);

  for (const d of [api, server]) {
    const spec = d.spec.template.spec;
    const prepare = spec.initContainers.find((i: any) => i.name === 'prepare');
    expect(prepare.command).toEqual([
      '/opt/stackstorm/mistral/bin/python',
      '/etc/mistral-template/prepare.py',
      '/etc/mistral-template/mistral.conf.template',
      '/etc/mistral/mistral.conf',
      'rabbitmq-0.rabbitmq-headless.stackstorm.svc.cluster.local:5672,rabbitmq-1.rabbitmq-headless.stackstorm.svc.cluster.local:5672,rabbitmq-2.rabbitmq-headless.stackstorm.svc.cluster.local:5672',
      'postgresql.stackstorm.svc.cluster.local:5432',
    ]);
    expect(prepare.env.map((e: any) => [e.name, e.valueFrom.secretKeyRef])).toEqual([
      ['ST2_RABBITMQ_PASSWORD', { name: 'st2-rabbitmq', key: 'password' }],
      ['MISTRAL_DB_PASSWORD', { name: 'st2-postgresql', key: 'password' }],
    ]);
    // The filled-in file lives in memory only, and the main container cannot write it.
    expect(spec.volumes.find((v: any) => v.name === 'mistral-conf').emptyDir.medium).toBe('Memory');
    expect(container(d).volumeMounts.find((m: any) => m.name === 'mistral-conf')).toEqual({ name: 'mistral-conf', mountPath: '/etc/mistral', readOnly: true });
    expect(spec.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true });
    expect(d.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{16}$/);
  }
});

test('mistral-api and mistral-server replicas: active-active, no coordination needed', () => {
  const scaled = synth(
    withRelease({
      datastores: { coordination: { backend: 'none' } },
      st2: { notifier: { replicas: 1 }, actionRunner: { replicas: 1 } },
      mistral: { api: { replicas: 3 }, server: { replicas: 4 } },
    }),
  );
  expect([deployment(scaled, 'mistral-api').spec.replicas, deployment(scaled, 'mistral-server').spec.replicas]).toEqual([3, 4]);
  expectSettingError(() => synth(withRelease({ mistral: { server: { replicas: 0 } } })), 'mistral.server.replicas', 'integer >= 1');
});

test('schema Job: waits for PostgreSQL, then upgrade head and populate; safe to re-run', () => {
  const job = find(objects, 'Job', 'mistral-db-manage');
  const c = container(job);
  expect(c.command).toEqual([
    '/bin/sh',
    '-c',
    '/opt/stackstorm/mistral/bin/mistral-db-manage --config-file /etc/mistral/mistral.conf upgrade head && /opt/stackstorm/mistral/bin/mistral-db-manage --config-file /etc/mistral/mistral.conf populate',
  ]);
  const prepare = job.spec.template.spec.initContainers[0];
  expect(prepare.command.at(-1)).toBe('postgresql.stackstorm.svc.cluster.local:5432');
  expect(job.spec.backoffLimit).toBeGreaterThan(0);
  expect(job.spec.template.spec.restartPolicy).toBe('Never');
  expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' });
});

test('external PostgreSQL: no server here, Mistral points at the given host', () => {
  const external = synth(withRelease({ mistral: { postgresql: { mode: 'external', external: { host: 'pg.example.com:5432' }, secretName: 'pg-managed' } } }));
  expect(external.filter((o) => o.metadata.name.startsWith('postgresql'))).toEqual([]);
  const conf = parseIni(find(external, 'ConfigMap', 'mistral-config').data!['mistral.conf.template']);
  expect(conf.database.connection).toBe('postgresql+psycopg2://mistral:${MISTRAL_DB_PASSWORD_URLQ}@pg.example.com:5432/mistral');
  const prepare = deployment(external, 'mistral-api').spec.template.spec.initContainers[0];
  expect(prepare.env[1].valueFrom.secretKeyRef).toEqual({ name: 'pg-managed', key: 'password' });
  expect(validateAll(external)).toEqual([]);
  expectSettingError(
    () => synth(withRelease({ mistral: { postgresql: { mode: 'external' } } })),
    'mistral.postgresql.external.host',
    'external mode names no host',
  );
  expectSettingError(
    () => synth(withRelease({ mistral: { postgresql: { mode: 'external', external: { host: 'pg.example.com' } } } })),
    'mistral.postgresql.external.host',
    'is not host:port',
  );
  expectSettingError(
    () => synth(withRelease({ mistral: { postgresql: { mode: 'managed' as never } } })),
    'mistral.postgresql.mode',
    'use in-cluster or external',
  );
});

test('prepare.py fills the mistral.conf template with percent-encoded Secret values', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mistral-conf-'));
  try {
    const data = find(objects, 'ConfigMap', 'mistral-config').data!;
    for (const name of ['mistral.conf.template', 'prepare.py']) fs.writeFileSync(path.join(dir, name), data[name]);
    const result = spawnSync('python3', [path.join(dir, 'prepare.py'), path.join(dir, 'mistral.conf.template'), path.join(dir, 'mistral.conf')], {
      encoding: 'utf8',
      timeout: 10000,
      env: { PATH: process.env.PATH, ST2_RABBITMQ_PASSWORD: 'r@b/b:it', MISTRAL_DB_PASSWORD: 'p%g $x' },
    });
    expect([result.status, result.stderr]).toEqual([0, '']);
    const conf = parseIni(fs.readFileSync(path.join(dir, 'mistral.conf'), 'utf8'));
    expect(conf.database.connection).toBe('postgresql+psycopg2://mistral:p%25g%20%24x@postgresql.stackstorm.svc.cluster.local:5432/mistral');
    expect(conf.DEFAULT.transport_url.split(',').every((node) => node.includes('st2:r%40b%2Fb%3Ait@'))).toBe(true);
    expect(fs.statSync(path.join(dir, 'mistral.conf')).mode & 0o777).toBe(0o400);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
