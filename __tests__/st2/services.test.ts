import { StackStormHaSettings, SYNC_STAGES } from '../../lib';
import { settingErrorOf } from '../support/errors';
import { validateAll } from '../support/k8s-schema';
import { container, find, K8sObject, synth } from '../support/synth';

const withCoordination: StackStormHaSettings = {
  datastores: { coordination: { backend: 'external', externalUrl: 'kazoo://zk-a:2181,zk-b:2181,zk-c:2181' } },
};
const objects = synth(withCoordination);
const deployment = (name: string) => find(objects, 'Deployment', name);

test('every 3.x component is deployed with its HA mode replica default', () => {
  const replicas = Object.fromEntries(
    objects.filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('st2')).map((o) => [o.metadata.name, o.spec.replicas]),
  );
  expect(replicas).toEqual({
    st2api: 2,
    st2auth: 2,
    st2stream: 2,
    st2rulesengine: 2,
    st2timersengine: 1,
    st2workflowengine: 2,
    st2scheduler: 2,
    st2actionrunner: 3,
    st2notifier: 2,
    st2sensorcontainer: 1,
    st2web: 2,
  });
  expect(objects.some((o) => o.metadata.name === 'st2garbagecollector')).toBe(false);
  expect(objects.some((o) => o.metadata.name === 'st2chatops')).toBe(false);
  expect(validateAll(objects)).toEqual([]);
});

test('each process runs its own executable with the layered config files', () => {
  for (const name of [
    'st2api',
    'st2auth',
    'st2stream',
    'st2rulesengine',
    'st2timersengine',
    'st2workflowengine',
    'st2scheduler',
    'st2actionrunner',
    'st2notifier',
    'st2sensorcontainer',
  ]) {
    const c = container(deployment(name));
    expect(c.image).toBe(`docker.io/stackstorm/${name}:3.9.0`);
    expect(c.command.slice(0, 4)).toEqual([
      `/opt/stackstorm/st2/bin/${name}`,
      '--config-file=/etc/st2/st2.conf',
      '--config-file=/etc/st2/st2.docker.conf',
      '--config-file=/etc/st2/shared/st2.conf',
    ]);
    expect(c.command).toContain('--config-file=/etc/st2/secrets/st2.secrets.conf');
    const init = deployment(name).spec.template.spec.initContainers.find((i: any) => i.name === 'prepare');
    expect(init.env.map((e: any) => [e.name, e.valueFrom.secretKeyRef.name])).toEqual([
      ['ST2_MONGODB_PASSWORD', 'st2-mongodb'],
      ['ST2_RABBITMQ_PASSWORD', 'st2-rabbitmq'],
    ]);
  }
});

test('HTTP services: ClusterIP Service, ports and probes (st2auth /v1/sso, TCP for api/stream), preStop pause', () => {
  for (const [name, port] of [
    ['st2api', 9101],
    ['st2auth', 9100],
    ['st2stream', 9102],
  ] as const) {
    const service = find(objects, 'Service', name);
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'http', port, targetPort: port }]);
    const c = container(deployment(name));
    expect(c.ports).toEqual([{ containerPort: port, name: 'http' }]);
    expect(c.livenessProbe.tcpSocket.port).toBe(port);
    expect(c.livenessProbe).not.toEqual(c.readinessProbe);
    if (name === 'st2auth') expect(c.readinessProbe.httpGet).toMatchObject({ path: '/v1/sso', port });
    else expect(c.readinessProbe.tcpSocket.port).toBe(port);
    expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
  }
  // SSE connections outlive the 25 s heartbeat; the grace period lets them drain.
  expect(deployment('st2stream').spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(25);
});

test('mounts: datastore key, htpasswd in a folder of its own, ssh key installed for stanley, content', () => {
  const volumes = (name: string) => Object.fromEntries(deployment(name).spec.template.spec.volumes.map((v: any) => [v.name, v]));
  const mounts = (name: string) => Object.fromEntries(container(deployment(name)).volumeMounts.map((m: any) => [m.name, m.mountPath]));
  expect(volumes('st2api')['datastore-key'].secret).toMatchObject({ secretName: 'st2-datastore-key', defaultMode: 0o440 });
  expect(mounts('st2api')).toMatchObject({ 'datastore-key': '/etc/st2/keys', packs: '/opt/stackstorm/packs', virtualenvs: '/opt/stackstorm/virtualenvs' });
  expect(volumes('st2auth').htpasswd.secret).toMatchObject({ secretName: 'st2-htpasswd', items: [{ key: 'htpasswd', path: 'htpasswd' }] });
  expect(volumes('st2actionrunner')['ssh-key'].secret).toMatchObject({
    secretName: 'st2-ssh-key',
    defaultMode: 0o400,
    items: [{ key: 'private_key', path: 'stanley_rsa' }],
  });
  expect(mounts('st2auth').htpasswd).toBe('/etc/st2/auth');
  // The Secret is never mounted where stanley reads the key: a root step installs it there.
  expect(mounts('st2actionrunner')['ssh-key']).toBeUndefined();
  expect(mounts('st2actionrunner').ssh).toBe('/home/stanley/.ssh');
  const install = deployment('st2actionrunner').spec.template.spec.initContainers.find((c: any) => c.name === 'ssh-key');
  expect(install.securityContext).toMatchObject({ runAsUser: 0 });
  expect(Object.fromEntries(install.volumeMounts.map((m: any) => [m.name, m.mountPath]))).toEqual({ 'ssh-key': '/etc/st2/ssh-key', ssh: '/home/stanley/.ssh' });
  expect(install.command[2].split('\n')).toEqual([
    'cp /etc/st2/ssh-key/stanley_rsa /home/stanley/.ssh/stanley_rsa',
    'chown -R 1000:1000 /home/stanley/.ssh',
    'chmod 0400 /home/stanley/.ssh/stanley_rsa',
    'chmod 0500 /home/stanley/.ssh',
  ]);
  expect(mounts('st2auth').packs).toBeUndefined();
});

test('drain: action runner and workflow engine grace periods exceed exit_still_active_check', () => {
  const conf = find(objects, 'ConfigMap', 'st2-config').data!['st2.conf'];
  const check = (section: string) => Number(new RegExp(`\\[${section}\\][^[]*exit_still_active_check = (\\d+)`).exec(conf)![1]);
  expect(deployment('st2actionrunner').spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(check('actionrunner'));
  expect(deployment('st2workflowengine').spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(check('workflow_engine'));
});

test('security: the stanley UID everywhere except the root action runner, one fsGroup for all', () => {
  expect(deployment('st2api').spec.template.spec.securityContext).toMatchObject({
    runAsUser: 1000,
    runAsGroup: 1000,
    fsGroup: 1000,
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(deployment('st2actionrunner').spec.template.spec.securityContext).toMatchObject({ fsGroup: 1000 });
  expect(container(deployment('st2api')).securityContext.capabilities).toEqual({ drop: ['ALL'] });
  expect(deployment('st2actionrunner').spec.template.spec.securityContext).toMatchObject({ runAsUser: 0, runAsNonRoot: false });
  expect(container(deployment('st2actionrunner')).securityContext.capabilities).toBeUndefined();
});

test('singletons and chatops roll with Recreate; active-active with surge and no unavailability', () => {
  expect(deployment('st2timersengine').spec.strategy.type).toBe('Recreate');
  expect(deployment('st2api').spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
});

test('a PodDisruptionBudget for every workload with 2+ replicas, none for singletons', () => {
  const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name);
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    expect([d.metadata.name, budgets.includes(d.metadata.name)]).toEqual([d.metadata.name, d.spec.replicas >= 2]);
  }
  expect(find(objects, 'PodDisruptionBudget', 'st2api').spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
});

test('config changes roll pods: the checksum annotation follows st2.conf', () => {
  const hash = (o: K8sObject[]) => find(o, 'Deployment', 'st2api').spec.template.metadata.annotations['checksum/config'];
  const changed = synth({ ...withCoordination, publicUrl: 'https://other.example.com' });
  expect(hash(changed)).not.toBe(hash(objects));
  expect(hash(synth(withCoordination))).toBe(hash(objects));
});

test('garbage collector: deployed when TTLs are set, TTLs rendered', () => {
  const gc = synth({ ...withCoordination, st2: { garbageCollector: { ttl: { actionExecutionsDays: 30 } } } });
  expect(find(gc, 'Deployment', 'st2garbagecollector').spec.replicas).toBe(1);
  expect(find(gc, 'ConfigMap', 'st2-config').data!['st2.conf']).toContain('action_executions_ttl = 30');
});

test('chatops: one replica, Recreate, adapter env from its Secret, admin credentials by reference', () => {
  const o = synth({ ...withCoordination, st2: { chatops: { enabled: true, adapterSecret: 'st2-chatops-adapter' } } });
  const d = find(o, 'Deployment', 'st2chatops');
  expect(d.spec.replicas).toBe(1);
  expect(d.spec.strategy.type).toBe('Recreate');
  const c = container(d);
  expect(c.envFrom).toEqual([{ secretRef: { name: 'st2-chatops-adapter' } }]);
  expect(c.env.find((e: any) => e.name === 'ST2_AUTH_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'st2-admin', key: 'password' });
  expect(validateAll(o)).toEqual([]);
});

test('action runner autoscaling: an HPA and no replicas in Git', () => {
  const o = synth({ ...withCoordination, st2: { actionRunner: { autoscaling: { minReplicas: 2, maxReplicas: 10 } } } });
  expect(find(o, 'Deployment', 'st2actionrunner').spec.replicas).toBeUndefined();
  expect(find(o, 'HorizontalPodAutoscaler', 'st2actionrunner').spec).toMatchObject({
    minReplicas: 2,
    maxReplicas: 10,
    scaleTargetRef: { kind: 'Deployment', name: 'st2actionrunner' },
  });
  expect(validateAll(o)).toEqual([]);
});

test('each process can be turned off individually (e.g. sensors run elsewhere)', () => {
  const o = synth({ ...withCoordination, st2: { sensorContainer: { enabled: false }, stream: { enabled: false } } });
  expect(o.some((x) => x.metadata.name.startsWith('st2sensorcontainer'))).toBe(false);
  expect(o.some((x) => x.metadata.name === 'st2stream')).toBe(false);
});

test('jobs: register content after the datastores, idempotent, as Argo CD sync hooks', () => {
  const job = find(objects, 'Job', 'st2-register-content');
  expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/sync-wave': String(SYNC_STAGES.content) });
  expect(job.spec.template.spec.initContainers[0].name).toBe('prepare');
  expect(job.spec.template.spec.containers[0].command).toEqual(
    expect.arrayContaining(['/opt/stackstorm/st2/bin/st2-register-content', '--register-all', '--register-fail-on-failure']),
  );
  const withKeys = synth({ ...withCoordination, st2: { jobs: { keysSecret: 'st2-kv' } } });
  expect(find(withKeys, 'Job', 'st2-load-keys').spec.template.spec.containers[0].command).toEqual([
    '/opt/stackstorm/st2/bin/st2',
    'key',
    'load',
    '--convert',
    '/etc/st2/keys-to-load/keys.json',
  ]);
});

test('content from images: init containers copy system packs then pack images', () => {
  const o = synth({ ...withCoordination, content: { strategy: 'images', images: [{ repository: 'example/st2-packs', tag: '1.0.0' }] } });
  const inits = find(o, 'Deployment', 'st2actionrunner').spec.template.spec.initContainers.map((i: any) => [i.name, i.image]);
  const st2 = 'docker.io/stackstorm/st2actionrunner:3.9.0';
  expect(inits).toEqual([
    ['prepare', st2],
    ['ssh-key', st2],
    ['system-packs', st2],
    ['pack-image-0', 'example/st2-packs:1.0.0'],
  ]);
  expect(o.some((x) => x.kind === 'PersistentVolumeClaim')).toBe(false);
  expect(validateAll(o)).toEqual([]);
});

describe('invariants fail synth with the setting and the fix', () => {
  test.each([
    ['replicas 0', { ...withCoordination, st2: { api: { replicas: 0 } } }, 'st2.api.replicas: got 0. Fix: set it to an integer >= 1'],
    [
      'singleton timers engine scaled',
      { ...withCoordination, st2: { timersEngine: { replicas: 2 } } },
      'st2.timersEngine.replicas: 2 replicas, but it is a singleton',
    ],
    [
      'garbage collector scaled',
      { ...withCoordination, st2: { garbageCollector: { replicas: 2, ttl: { tracesDays: 3 } } } },
      'st2.garbageCollector.replicas: 2 replicas, but it is a singleton',
    ],
    [
      'chatops scaled',
      { ...withCoordination, st2: { chatops: { enabled: true, replicas: 2, adapterSecret: 'x' } } },
      'st2.chatops.replicas: 2 replicas, but it is active-passive',
    ],
    [
      'chatops without adapter Secret',
      { ...withCoordination, st2: { chatops: { enabled: true } } },
      'st2.chatops.adapterSecret: chatops is enabled but names no adapter Secret',
    ],
    [
      'action runners without coordination',
      { datastores: { coordination: { backend: 'none' } }, st2: { workflowEngine: { replicas: 1 }, scheduler: { replicas: 1 }, notifier: { replicas: 1 } } },
      'st2.actionRunner.replicas: 3 replicas with no coordination backend',
    ],
    [
      'workflow engines without coordination',
      { datastores: { coordination: { backend: 'none' } } },
      'st2.workflowEngine.replicas: 2 replicas with no coordination backend',
    ],
    [
      'GC TTL below a day',
      { ...withCoordination, st2: { garbageCollector: { ttl: { tracesDays: 0 } } } },
      'st2.garbageCollector.ttl.tracesDays: 0 days. Fix: use a whole number of days, at least 1',
    ],
    ['GC enabled without TTL', { ...withCoordination, st2: { garbageCollector: { enabled: true } } }, 'st2.garbageCollector.ttl: no TTL is set'],
    [
      'sensor partition scaled',
      { ...withCoordination, st2: { sensorContainer: { replicas: 2 } } },
      'st2.sensorContainer.replicas: 2 replicas, but each partition is one pod',
    ],
    [
      'autoscaling and replicas',
      { ...withCoordination, st2: { actionRunner: { replicas: 3, autoscaling: { minReplicas: 1, maxReplicas: 3 } } } },
      'st2.actionRunner.replicas: set together with autoscaling',
    ],
    ['latest tag', { ...withCoordination, st2: { api: { image: { tag: 'latest' } } } }, 'st2.api.image.tag: "latest" is not a pinned tag'],
    [
      'memory limit below request',
      { ...withCoordination, st2: { api: { resources: { cpuRequest: '100m', memoryRequest: '1Gi', memoryLimit: '512Mi' } } } },
      'st2.api.resources.memoryLimit: 512Mi is below the request 1Gi',
    ],
    ['missing secret reference', { ...withCoordination, secrets: { sshKey: '' } }, 'secrets.sshKey: no Secret name given. Fix: name the Secret you created'],
    ['bad namespace', { ...withCoordination, namespace: 'Stack_Storm' }, 'namespace: "Stack_Storm" is not a DNS label'],
  ] as [string, StackStormHaSettings, string][])('%s', (_, settings, message) => {
    expect(settingErrorOf(() => synth(settings)).message).toContain(message);
  });

  test('one replica of everything runs without coordination (a dev laptop)', () => {
    const one = { replicas: 1 };
    const o = synth({ datastores: { coordination: { backend: 'none' } }, st2: { workflowEngine: one, scheduler: one, notifier: one, actionRunner: one } });
    expect(find(o, 'Deployment', 'st2actionrunner').spec.replicas).toBe(1);
  });
});
