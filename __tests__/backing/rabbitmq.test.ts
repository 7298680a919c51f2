import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { memberHostPorts } from '../../lib/backing/members';
import { RABBITMQ_IMAGE, RabbitMq, RabbitMqProps } from '../../lib/backing/rabbitmq';
import {
  MIRROR_POLICY_PATTERN,
  partitionHandlingFor,
  PASSWORD_ENV,
  PASSWORD_HASH_PLACEHOLDER,
  rabbitMqDefinitions,
  renderDefinitionsScript,
  renderEnabledPlugins,
  renderRabbitMqConf,
} from '../../lib/backing/rabbitmq-conf';
import { RabbitMqSettings } from '../../lib/config/datastores';
import { SettingError } from '../../lib/common/errors';
import { validateAll } from '../support/k8s-schema';
import { find, K8sObject, synth, synthConstruct } from '../support/synth';
import { quorumMessage } from '../support/errors';

const identity = { namespace: 'st2-test', instance: 'stackstorm' };

/** Builds the cluster alone in a chart (as StackStormHa does) and returns its objects. */
function build(settings: RabbitMqSettings = {}, extra: Partial<RabbitMqProps> = {}): { objects: K8sObject[]; rabbit: RabbitMq } {
  const { construct: rabbit, objects } = synthConstruct((chart) => new RabbitMq(chart, 'RabbitMq', { identity, settings, ...extra }));
  return { objects, rabbit };
}

/** Every queue st2 declares (reference/st2-facts.md), with examples of the dynamic ones, and Mistral's. */
const ST2_QUEUES = [
  'st2.actionrunner.req',
  'st2.actionrunner.work',
  'st2.actionrunner.cancel',
  'st2.actionrunner.pause',
  'st2.actionrunner.resume',
  'st2.notifiers.execution.work',
  'st2.resultstracker.work',
  'st2.trigger_instances_dispatch.rules_engine',
  'st2.workflow.work',
  'st2.workflow.resume',
  'st2.workflow.action.update',
  'st2.preinit',
  'st2.trigger.watch.TimersController-4f1e0c8a',
  'st2.trigger.watch.St2Timer-0b7d',
  'st2.sensor.watch.sensor_container-a1b2c3',
];
const MISTRAL_QUEUES = ['mistral_engine', 'mistral_executor', 'mistral_notifier', 'reply_2f7c9d0e1a', 'mistral_engine_fanout_3c4d'];

describe('RabbitMq objects', () => {
  const { objects, rabbit } = build();
  const statefulSet = find(objects, 'StatefulSet', 'rabbitmq');
  const pod = statefulSet.spec.template.spec;
  const server = pod.containers.find((c: any) => c.name === 'rabbitmq');
  const prepare = pod.initContainers.find((c: any) => c.name === 'prepare');
  const configMap = find(objects, 'ConfigMap', 'rabbitmq-config');

  test('every object is valid against Kubernetes 1.27 and 1.36 (strict)', () => {
    expect(validateAll(objects)).toEqual([]);
  });

  test('a 3-node StatefulSet of the pinned official 3.13 image, started in parallel', () => {
    expect(statefulSet.spec.replicas).toBe(3);
    expect(statefulSet.spec.serviceName).toBe('rabbitmq-headless');
    expect(statefulSet.spec.podManagementPolicy).toBe('Parallel');
    expect(server.image).toBe('rabbitmq:3.13.7');
    expect(prepare.image).toBe('rabbitmq:3.13.7');
    expect(RABBITMQ_IMAGE.tag).toMatch(/^3\.13\./);
    expect(statefulSet.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('8Gi');
    expect(server.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/rabbitmq' });
    expect(server.env).toContainEqual({ name: 'RABBITMQ_NODENAME', value: 'rabbit@$(POD_NAME).rabbitmq-headless.st2-test.svc.cluster.local' });
    // $(POD_NAME) only expands when POD_NAME is defined earlier in the list.
    const names = server.env.map((e: any) => e.name);
    expect(names.indexOf('POD_NAME')).toBeLessThan(names.indexOf('RABBITMQ_NODENAME'));
    expect(server.env).toContainEqual({ name: 'RABBITMQ_USE_LONGNAME', value: 'true' });
  });

  test('headless Service publishes unready members on amqp, epmd and dist; the client Service only amqp', () => {
    const headless = find(objects, 'Service', 'rabbitmq-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(headless.spec.ports.map((p: any) => [p.name, p.port])).toEqual([
      ['amqp', 5672],
      ['epmd', 4369],
      ['dist', 25672],
    ]);
    const client = find(objects, 'Service', 'rabbitmq');
    expect(client.spec.ports.map((p: any) => [p.name, p.port])).toEqual([['amqp', 5672]]);
    for (const service of [headless, client]) {
      expect(service.spec.selector).toEqual(statefulSet.spec.selector.matchLabels);
      for (const port of service.spec.ports) expect(server.ports.map((p: any) => p.containerPort)).toContain(port.targetPort);
    }
  });

  test("RBAC: its own ServiceAccount may only get the headless Service's endpoints", () => {
    expect(pod.serviceAccountName).toBe('rabbitmq');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(find(objects, 'ServiceAccount', 'rabbitmq').automountServiceAccountToken).toBe(true);
    expect(find(objects, 'Role', 'rabbitmq').rules).toEqual([
      { apiGroups: [''], resources: ['endpoints'], resourceNames: ['rabbitmq-headless'], verbs: ['get'] },
      // Peer discovery posts events about cluster formation; without it every start logs a 403.
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
    const binding = find(objects, 'RoleBinding', 'rabbitmq');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rabbitmq' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rabbitmq', namespace: 'st2-test' }]);
    expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
  });

  test('only RabbitMQ gets an API token in the whole deployment', () => {
    const all = synth({}, 'rbac');
    const withToken = all.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.spec.template.spec.automountServiceAccountToken !== false);
    expect(withToken.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['StatefulSet/rabbitmq']);
  });

  test('a disruption budget of one node', () => {
    const pdb = find(objects, 'PodDisruptionBudget', 'rabbitmq');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(statefulSet.spec.selector.matchLabels);
  });

  test('probes: startup for the slow boot, readiness and liveness run different checks', () => {
    const command = (probe: any) => probe.exec.command.join(' ');
    expect(command(server.startupProbe)).toBe('rabbitmq-diagnostics -q ping');
    expect(server.startupProbe.periodSeconds * server.startupProbe.failureThreshold).toBeGreaterThanOrEqual(300);
    expect(command(server.readinessProbe)).toBe('rabbitmq-diagnostics -q check_port_connectivity');
    expect(command(server.livenessProbe)).toBe('rabbitmq-diagnostics -q ping');
    expect(command(server.livenessProbe)).not.toBe(command(server.readinessProbe));
    expect(server.livenessProbe.periodSeconds).toBeGreaterThan(server.readinessProbe.periodSeconds);
  });

  test('security: numeric non-root user, no capabilities, read-only root, explicit resources', () => {
    for (const c of [server, prepare]) {
      expect(c.securityContext).toMatchObject({
        runAsUser: 999,
        runAsGroup: 999,
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.imagePullPolicy).toBe('IfNotPresent');
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
    }
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  });

  test('the Erlang cookie and password come from the user Secret, by name and key only', () => {
    const secretVolume = pod.volumes.find((v: any) => v.name === 'secret');
    expect(secretVolume.secret).toEqual({ secretName: 'st2-rabbitmq', defaultMode: 0o400, items: [{ key: 'erlang-cookie', path: 'erlang-cookie' }] });
    expect(prepare.env).toEqual([{ name: PASSWORD_ENV, valueFrom: { secretKeyRef: { name: 'st2-rabbitmq', key: 'password' } } }]);
    expect(prepare.command.join(' ')).toMatch(
      /cp \/etc\/rabbitmq-secret\/erlang-cookie \/home\/rabbitmq\/\.erlang\.cookie\s+chmod 400 \/home\/rabbitmq\/\.erlang\.cookie/,
    );
    // The main container never sees the Secret; the cookie copy and rendered definitions live in memory.
    expect(server.volumeMounts.map((m: any) => m.name)).not.toContain('secret');
    expect(server.env.map((e: any) => e.name)).not.toContain(PASSWORD_ENV);
    for (const name of ['home', 'definitions']) expect(pod.volumes.find((v: any) => v.name === name).emptyDir.medium).toBe('Memory');
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  test('config keys: peer discovery, partition handling, definitions, memory', () => {
    const conf = configMap.data!['rabbitmq.conf'];
    const keys = Object.fromEntries(
      conf
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(' = ')),
    );
    expect(keys).toMatchObject({
      'listeners.tcp.default': '5672',
      'cluster_formation.peer_discovery_backend': 'rabbit_peer_discovery_k8s',
      'cluster_formation.k8s.service_name': 'rabbitmq-headless',
      'cluster_formation.k8s.address_type': 'hostname',
      'cluster_formation.k8s.hostname_suffix': '.rabbitmq-headless.st2-test.svc.cluster.local',
      cluster_partition_handling: 'pause_minority',
      load_definitions: '/etc/rabbitmq-definitions/definitions.json',
      total_memory_available_override_value: String(1024 * 1024 * 1024),
    });
    expect(configMap.data!['enabled_plugins']).toBe('[rabbitmq_peer_discovery_k8s].\n');
    expect(server.volumeMounts).toContainEqual({ name: 'definitions', mountPath: '/etc/rabbitmq-definitions', readOnly: true });
    expect(prepare.command.join(' ')).toContain(
      'sh /etc/rabbitmq/render-definitions.sh /etc/rabbitmq/definitions.template.json /etc/rabbitmq-definitions/definitions.json',
    );
  });

  test("the definitions mirror every queue st2 and Mistral declare, with the guide's policy", () => {
    const definitions = JSON.parse(configMap.data!['definitions.template.json']);
    expect(definitions.vhosts).toEqual([{ name: '/' }]);
    expect(definitions.permissions).toEqual([{ user: 'st2', vhost: '/', configure: '.*', write: '.*', read: '.*' }]);
    expect(definitions.policies).toHaveLength(1);
    const policy = definitions.policies[0];
    expect(policy).toMatchObject({ vhost: '/', 'apply-to': 'queues', definition: { 'ha-mode': 'all', 'ha-sync-mode': 'automatic' } });
    // RabbitMQ matches policies with an unanchored regular expression, like RegExp.test.
    for (const queue of [...ST2_QUEUES, ...MISTRAL_QUEUES]) expect([queue, new RegExp(policy.pattern).test(queue)]).toEqual([queue, true]);
  });

  test('no password (nor password hash) in any ConfigMap of the deployment', () => {
    const all = synth({}, 'no-secrets');
    const rabbitmqConfig = find(all, 'ConfigMap', 'rabbitmq-config');
    const definitions = JSON.parse(rabbitmqConfig.data!['definitions.template.json']);
    expect(definitions.users).toEqual([
      { name: 'st2', password_hash: PASSWORD_HASH_PLACEHOLDER, hashing_algorithm: 'rabbit_password_hashing_sha256', tags: [] },
    ]);
    for (const map of all.filter((o) => o.kind === 'ConfigMap')) {
      for (const [key, text] of Object.entries(map.data ?? {})) {
        expect([map.metadata.name, key, /"password"\s*:/.test(text)]).toEqual([map.metadata.name, key, false]);
        expect([map.metadata.name, key, /password_hash"\s*:\s*"(?!@ST2_PASSWORD_HASH@)/.test(text)]).toEqual([map.metadata.name, key, false]);
      }
    }
  });

  test('the endpoint lists every member by its stable DNS name on 5672, as st2 used before', () => {
    expect(rabbit.endpoint).toEqual({
      hosts: memberHostPorts('rabbitmq', 3, { namespace: 'st2-test', instance: 'stackstorm' }, 5672),
      vhost: '',
      username: 'st2',
      password: { name: 'st2-rabbitmq', key: 'password' },
    });
    expect(rabbit.endpoint.hosts[0]).toBe('rabbitmq-0.rabbitmq-headless.st2-test.svc.cluster.local:5672');
  });

  test('StackStormHa builds it in-cluster and hands its endpoint to st2; external mode builds none', () => {
    const all = synth({ namespace: 'st2-test' }, 'wired');
    find(all, 'StatefulSet', 'rabbitmq');
    const conf = find(all, 'ConfigMap', 'st2-config');
    const template = Object.values(conf.data ?? {}).join('\n');
    for (const host of memberHostPorts('rabbitmq', 3, { namespace: 'st2-test', instance: 'stackstorm' }, 5672)) expect(template).toContain(`@${host}/`);
    const external = synth({ datastores: { rabbitmq: { mode: 'external', external: { hosts: ['mq.example.com:5672'] } } } }, 'external');
    expect(external.filter((o) => o.metadata.name.startsWith('rabbitmq'))).toEqual([]);
  });

  test('settings flow through: 5 nodes, vhost, user, Secret, storage', () => {
    const { objects: custom, rabbit: r } = build({
      vhost: 'st2',
      username: 'stackstorm',
      secretName: 'mq',
      inCluster: { replicas: 5, storageSize: '20Gi', storageClassName: 'fast' },
    });
    expect(validateAll(custom)).toEqual([]);
    const sts = find(custom, 'StatefulSet', 'rabbitmq');
    expect(sts.spec.replicas).toBe(5);
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '20Gi' } } });
    expect(r.endpoint.hosts).toHaveLength(5);
    const defs = JSON.parse(find(custom, 'ConfigMap', 'rabbitmq-config').data!['definitions.template.json']);
    expect(defs.vhosts).toEqual([{ name: 'st2' }]);
    expect(defs.permissions[0]).toMatchObject({ user: 'stackstorm', vhost: 'st2' });
    expect(defs.policies[0].vhost).toBe('st2');
    expect(JSON.stringify(sts)).toContain('"secretName":"mq"');
  });
});

describe('RabbitMq setting errors', () => {
  const message = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(SettingError);
      return (error as Error).message;
    }
    throw new Error('no SettingError thrown');
  };

  test.each([1, 2, 4, 0, 2.5])('%p nodes is refused (odd and >= 3)', (replicas) => {
    expect(message(() => build({ inCluster: { replicas } }))).toBe(
      quorumMessage('datastores.rabbitmq.inCluster.replicas', replicas, 'a pause_minority cluster'),
    );
  });

  test.each(['4.0.5', '4.1', '4-management', 'v4.0.0'])('image %p with the mirrored policy is refused', (tag) => {
    expect(message(() => build({ inCluster: { image: { tag } } }))).toMatch(
      /^datastores\.rabbitmq\.inCluster\.image\.tag: .*removed classic queue mirroring.*Fix: pin a 3\.x image \(default 3\.13\.7\)$/,
    );
  });

  test('a 4.x image is accepted only without mirroring', () => {
    expect(() => build({ inCluster: { image: { tag: '4.0.5' } } }, { mirrorQueues: false })).not.toThrow();
  });

  test('a tag that does not start with a version is refused', () => {
    expect(message(() => build({ inCluster: { image: { tag: 'management' } } }))).toMatch(
      /^datastores\.rabbitmq\.inCluster\.image\.tag: cannot tell the RabbitMQ version/,
    );
  });

  test('latest is refused', () => {
    expect(message(() => build({ inCluster: { image: { tag: 'latest' } } }))).toMatch(
      /^datastores\.rabbitmq\.inCluster\.image\.tag: "latest" is not a pinned tag/,
    );
  });

  test('an empty Secret name, an empty user, a bad storage size, bad resources are refused', () => {
    expect(message(() => build({ secretName: '' }))).toMatch(/^datastores\.rabbitmq\.secretName: no Secret name given/);
    expect(message(() => build({ username: '' }))).toMatch(/^datastores\.rabbitmq\.username: empty user name/);
    expect(message(() => build({ inCluster: { storageSize: '8GB' } }))).toMatch(/^datastores\.rabbitmq\.inCluster\.storageSize: "8GB" is not a volume size/);
    expect(message(() => build({ inCluster: { resources: { cpuRequest: '1', memoryRequest: '1Gi', memoryLimit: '512Mi' } } }))).toMatch(
      /^datastores\.rabbitmq\.inCluster\.resources\.memoryLimit: 512Mi is below the request 1Gi/,
    );
  });

  test('the check runs through StackStormHa before any object is built', () => {
    expect(message(() => synth({ datastores: { rabbitmq: { inCluster: { replicas: 2 } } } }, 'even'))).toMatch(/^datastores\.rabbitmq\.inCluster\.replicas/);
  });
});

describe('pure renderers', () => {
  test('pause_minority for every cluster the construct allows', () => {
    for (const nodes of [3, 5, 7]) expect(partitionHandlingFor(nodes)).toBe('pause_minority');
  });

  test('rabbitmq.conf: one key per line, each from the input', () => {
    const conf = renderRabbitMqConf({
      namespace: 'ns',
      headlessService: 'mq-headless',
      nodes: 5,
      definitionsFile: '/d.json',
      memoryLimitBytes: 42,
      diskFreeLimit: '2GB',
    });
    expect(conf).toContain('cluster_formation.k8s.hostname_suffix = .mq-headless.ns.svc.cluster.local\n');
    expect(conf).toContain('load_definitions = /d.json\n');
    expect(conf).toContain('total_memory_available_override_value = 42\n');
    expect(conf).toContain('disk_free_limit.absolute = 2GB\n');
    for (const line of conf.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^[a-z_.0-9]+ = \S+$/);
  });

  test('enabled_plugins is an Erlang list', () => {
    expect(renderEnabledPlugins(['a', 'b'])).toBe('[a,b].\n');
  });

  test('definitions: default vhost maps to /, a given hash is used, mirroring can be left out', () => {
    const d = rabbitMqDefinitions({ vhost: '', username: 'u', passwordHash: 'abc', mirrorQueues: false }) as any;
    expect(d.vhosts).toEqual([{ name: '/' }]);
    expect(d.users[0].password_hash).toBe('abc');
    expect(d.policies).toEqual([]);
    expect(MIRROR_POLICY_PATTERN).toBe('.*');
  });

  test('the render script writes the hash RabbitMQ computes: base64(salt + sha256(salt + password))', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-render-'));
    try {
      const script = path.join(dir, 'render.sh');
      const template = path.join(dir, 'template.json');
      const output = path.join(dir, 'definitions.json');
      fs.writeFileSync(script, renderDefinitionsScript());
      fs.writeFileSync(template, JSON.stringify(rabbitMqDefinitions({ vhost: '', username: 'st2' })));
      const password = 'p@ss w#rd/+&ü';
      const run = spawnSync('sh', [script, template, output], { env: { PATH: process.env.PATH, [PASSWORD_ENV]: password }, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const hash = Buffer.from(JSON.parse(fs.readFileSync(output, 'utf8')).users[0].password_hash, 'base64');
      expect(hash).toHaveLength(4 + 32);
      const salt = hash.subarray(0, 4);
      expect(hash.subarray(4)).toEqual(
        createHash('sha256')
          .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
          .digest(),
      );
      expect(fs.statSync(output).mode & 0o077).toBe(0);
      const empty = spawnSync('sh', [script, template, path.join(dir, 'other.json')], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
      expect(empty.status).not.toBe(0);
      expect(empty.stderr).toContain('password key is empty or missing');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
