import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { memberHost } from '../../lib/backing/members';
import { MONGO_DEFAULT_IMAGE, MongoDbReplicaSet, MongoDbReplicaSetProps, wiredTigerCacheSizeGb } from '../../lib/backing/mongodb';
import {
  MONGO_PATHS,
  ReplicaSetInit,
  renderCopyKeyfileScript,
  renderCreateUserScript,
  renderInitiateScript,
  renderInitScript,
  renderLivenessScript,
  renderReadinessScript,
} from '../../lib/backing/mongodb-scripts';
import { MongoDbSettings } from '../../lib/config/datastores';
import { validateAll } from '../support/k8s-schema';
import { find, K8sObject, synth, synthConstruct } from '../support/synth';
import { quorumMessage } from '../support/errors';

const identity = { namespace: 'st2-test', instance: 'stackstorm' };

/** Builds the replica set alone in a chart (as StackStormHa does) and returns its objects. */
function build(settings: MongoDbSettings = {}, extra: Partial<MongoDbReplicaSetProps> = {}): { objects: K8sObject[]; mongo: MongoDbReplicaSet } {
  const { construct: mongo, objects } = synthConstruct((chart) => new MongoDbReplicaSet(chart, 'MongoDb', { identity, settings, ...extra }));
  return { objects, mongo };
}

const init: ReplicaSetInit = {
  replicaSet: 'rs0',
  members: [0, 1, 2].map((i) => `${memberHost('mongodb', i, { namespace: 'st2-test', instance: 'stackstorm' })}:27017`),
  database: 'st2',
  username: 'st2',
  timeoutSeconds: 600,
};

describe('MongoDbReplicaSet objects', () => {
  const { objects, mongo } = build();
  const statefulSet = find(objects, 'StatefulSet', 'mongodb');
  const pod = statefulSet.spec.template.spec;
  const mongod = pod.containers.find((c: any) => c.name === 'mongod');
  const copy = pod.initContainers.find((c: any) => c.name === 'copy-keyfile');

  test('is valid against Kubernetes 1.27 and 1.36 (strict)', () => {
    expect(validateAll(objects)).toEqual([]);
  });

  test('a 3-member StatefulSet started in parallel behind the headless Service', () => {
    expect(statefulSet.spec.replicas).toBe(3);
    expect(statefulSet.spec.serviceName).toBe('mongodb-headless');
    // OrderedReady would wait forever: no member is ready before the set is initiated.
    expect(statefulSet.spec.podManagementPolicy).toBe('Parallel');
    expect(statefulSet.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'mongodb', 'app.kubernetes.io/instance': 'stackstorm' });
  });

  test('headless Service publishes not-ready members; client Service is a normal ClusterIP', () => {
    const headless = find(objects, 'Service', 'mongodb-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(headless.spec.selector).toEqual(statefulSet.spec.selector.matchLabels);
    const client = find(objects, 'Service', 'mongodb');
    expect(client.spec.clusterIP).toBeUndefined();
    expect(client.spec.publishNotReadyAddresses).toBeUndefined();
    expect(client.spec.selector).toEqual(statefulSet.spec.selector.matchLabels);
    for (const service of [headless, client]) expect(service.spec.ports).toEqual([{ name: 'mongodb', port: 27017, targetPort: 27017 }]);
  });

  test('one 10Gi claim per member, mounted as the data directory', () => {
    expect(statefulSet.spec.volumeClaimTemplates).toHaveLength(1);
    const claim = statefulSet.spec.volumeClaimTemplates[0];
    expect(claim.metadata.name).toBe('data');
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } });
    expect(mongod.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data/db' });
    expect(pod.volumes.map((v: any) => v.name)).not.toContain('data');
  });

  test('size and StorageClass come from the settings', () => {
    const custom = find(build({ inCluster: { storageSize: '50Gi', storageClassName: 'fast-ssd' } }).objects, 'StatefulSet', 'mongodb');
    expect(custom.spec.volumeClaimTemplates[0].spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '50Gi' } },
      storageClassName: 'fast-ssd',
    });
  });

  test('mongod joins the named set on every interface with keyfile auth', () => {
    expect(mongod.command).toBeUndefined(); // the image's entrypoint runs (root user on first start)
    const args: string[] = mongod.args;
    expect(args[0]).toBe('mongod');
    expect(args[args.indexOf('--replSet') + 1]).toBe('rs0');
    expect(args).toContain('--bind_ip_all');
    expect(args[args.indexOf('--keyFile') + 1]).toBe(MONGO_PATHS.keyfile);
    expect(args[args.indexOf('--wiredTigerCacheSizeGB') + 1]).toBe('1');
    expect(find(build({ replicaSet: 'st2rs' }).objects, 'StatefulSet', 'mongodb').spec.template.spec.containers[0].args).toContain('st2rs');
  });

  test('the keyfile is copied from the Secret into memory, mode 0400, by the mongod UID', () => {
    const secretVolume = pod.volumes.find((v: any) => v.name === 'keyfile-secret');
    expect(secretVolume.secret).toEqual({ secretName: 'st2-mongodb', defaultMode: 0o400, items: [{ key: 'keyfile', path: 'keyfile' }] });
    expect(pod.volumes.find((v: any) => v.name === 'keyfile').emptyDir.medium).toBe('Memory');
    // Same UID as mongod, so the copy is owned by it.
    expect(copy.securityContext.runAsUser).toBe(999);
    expect(mongod.securityContext.runAsUser).toBe(999);
    expect(copy.command).toEqual(['/bin/sh', `${MONGO_PATHS.scriptsDir}/copy-keyfile.sh`]);
    const script = renderCopyKeyfileScript();
    expect(script).toContain(`cp ${MONGO_PATHS.keyfileSecretDir}/keyfile ${MONGO_PATHS.keyfile}`);
    expect(script).toContain(`chmod 0400 ${MONGO_PATHS.keyfile}`);
    expect(find(objects, 'ConfigMap', 'mongodb-scripts').data!['copy-keyfile.sh']).toBe(script);
    expect(copy.volumeMounts).toContainEqual({ name: 'keyfile', mountPath: MONGO_PATHS.keyfileDir });
    expect(mongod.volumeMounts).toContainEqual({ name: 'keyfile', mountPath: MONGO_PATHS.keyfileDir, readOnly: true });
  });

  test('root credentials are referenced from the Secret, never inlined', () => {
    const env = Object.fromEntries(mongod.env.map((e: any) => [e.name, e]));
    expect(env.MONGO_INITDB_ROOT_USERNAME.value).toBe('root');
    expect(env.MONGO_INITDB_ROOT_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'st2-mongodb', key: 'root-password' });
    expect(JSON.stringify(objects)).not.toMatch(/"kind":"Secret"/);
  });

  test('readiness (primary or secondary), liveness (ping) and startup differ', () => {
    const script = (probe: any) => probe.exec.command[probe.exec.command.length - 1];
    expect(script(mongod.readinessProbe)).toBe(renderReadinessScript());
    expect(script(mongod.readinessProbe)).toMatch(/isWritablePrimary \|\| hello\.secondary/);
    expect(script(mongod.livenessProbe)).toBe(renderLivenessScript());
    expect(script(mongod.livenessProbe)).toMatch(/ping: 1/);
    expect(script(mongod.readinessProbe)).not.toBe(script(mongod.livenessProbe));
    expect(mongod.readinessProbe.exec.command[0]).toBe('mongosh');
    // Startup allows minutes (journal recovery, first-start init); liveness does not.
    expect(mongod.startupProbe.periodSeconds * mongod.startupProbe.failureThreshold).toBeGreaterThanOrEqual(300);
    expect(mongod.livenessProbe.periodSeconds * mongod.livenessProbe.failureThreshold).toBeLessThan(300);
  });

  test('pinned image st2 3.9 supports, non-root, least privilege, spread, resources', () => {
    expect(MONGO_DEFAULT_IMAGE.tag).toMatch(/^7\.0\.[0-9]+$/);
    expect(mongod.image).toBe(`docker.io/library/mongo:${MONGO_DEFAULT_IMAGE.tag}`);
    expect(pod.securityContext).toMatchObject({ runAsUser: 999, runAsNonRoot: true, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of [mongod, copy]) {
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
    }
    expect(pod.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'kubernetes.io/hostname',
      labelSelector: { matchLabels: statefulSet.spec.selector.matchLabels },
    });
    expect(mongod.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
  });

  test('PodDisruptionBudget lets one member go at a time', () => {
    const pdb = find(objects, 'PodDisruptionBudget', 'mongodb');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(statefulSet.spec.selector.matchLabels);
  });

  test('the init Job runs the rendered scripts with secrets from the Secret', () => {
    const job = find(objects, 'Job', 'mongodb-init');
    const spec = job.spec.template.spec;
    expect(spec.containers[0].command).toEqual(['/bin/sh', `${MONGO_PATHS.scriptsDir}/init.sh`]);
    const env = Object.fromEntries(spec.containers[0].env.map((e: any) => [e.name, e]));
    expect(env.MONGO_ROOT_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'st2-mongodb', key: 'root-password' });
    expect(env.MONGO_USER_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'st2-mongodb', key: 'password' });
    const data = find(objects, 'ConfigMap', 'mongodb-scripts').data!;
    expect(data['init.sh']).toBe(renderInitScript({ ...init, members: mongo.endpoint.hosts }));
    expect(data['initiate.js']).toBe(renderInitiateScript({ ...init, members: mongo.endpoint.hosts }));
    expect(data['create-user.js']).toBe(renderCreateUserScript({ ...init, members: mongo.endpoint.hosts }));
    expect(spec.securityContext.runAsUser).toBe(999);
  });

  test('endpoint: every member by stable DNS, the set name, authSource = st2 database', () => {
    expect(mongo.endpoint).toEqual({
      hosts: init.members,
      replicaSet: 'rs0',
      database: 'st2',
      authSource: 'st2',
      username: 'st2',
      password: { name: 'st2-mongodb', key: 'password' },
    });
    expect(build({ inCluster: { replicas: 5 } }).mongo.endpoint.hosts).toHaveLength(5);
  });
});

describe('MongoDB scripts', () => {
  test('rs.initiate names every member and only runs when rs.status() says not initialised', () => {
    const script = renderInitiateScript(init);
    for (const member of init.members) expect(script).toContain(`"host": "${member}"`);
    const statusCheck = script.indexOf('rs.status()');
    const initiate = script.indexOf('rs.initiate(config)');
    expect(statusCheck).toBeGreaterThan(-1);
    expect(initiate).toBeGreaterThan(statusCheck);
    expect(script).toMatch(/NotYetInitialized/);
    expect(script).toMatch(/if \(initialised\(\)\) \{[^}]*\} else \{\s*print\([^)]*\);\s*rs\.initiate\(config\);/);
    // Waits for a primary before the user is created.
    expect(script).toMatch(/while \(!db\.hello\(\)\.primary\)/);
  });

  test('the st2 user is created on its database only when absent, with readWrite + dbAdmin', () => {
    const script = renderCreateUserScript(init);
    expect(script).toMatch(/if \(target\.getUser\(user\.user\) === null\) \{\s*target\.createUser/);
    expect(script).toContain('"role": "readWrite"');
    expect(script).toContain('"role": "dbAdmin"');
    expect(script).toContain('const database = "st2";');
    expect(script).toContain('process.env.MONGO_USER_PASSWORD');
  });

  test('the Job waits for every member, initiates via member 0, creates the user via the set', () => {
    const script = renderInitScript(init);
    expect(script).toContain(`for member in ${init.members.join(' ')}; do`);
    expect(script).toMatch(/deadline=\$\(\( \$\(date \+%s\) \+ 600 \)\)/);
    expect(script).toContain(`mongodb://${init.members[0]}/admin?directConnection=true`);
    expect(script).toContain(`mongodb://${init.members.join(',')}/admin?replicaSet=rs0`);
    expect(script.indexOf('initiate.js')).toBeLessThan(script.indexOf('create-user.js'));
  });

  test('no secret material is rendered into any script', () => {
    for (const script of [renderInitScript(init), renderInitiateScript(init), renderCreateUserScript(init)]) {
      expect(script).not.toMatch(/pwd:\s*["']/);
    }
  });

  test('a value that is unsafe in sh is refused at synth', () => {
    expect(() => renderInitScript({ ...init, members: ['a;rm -rf /:27017'] })).toThrow(/not safe/);
  });

  test('WiredTiger cache follows the memory limit', () => {
    expect(wiredTigerCacheSizeGb('2Gi')).toBe(0.5);
    expect(wiredTigerCacheSizeGb('1536Mi')).toBe(0.25);
    expect(wiredTigerCacheSizeGb('8Gi')).toBe(3.5);
  });

  describe('syntax', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-scripts-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const check = (name: string, text: string, command: string, args: string[]) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return spawnSync(command, [...args, file], { encoding: 'utf8', timeout: 20_000 });
    };

    test.each([
      ['initiate.js', () => renderInitiateScript(init)],
      ['create-user.js', () => renderCreateUserScript(init)],
      ['readiness.js', renderReadinessScript],
      ['liveness.js', renderLivenessScript],
    ])('%s parses as JavaScript (node --check)', (name, render) => {
      const result = check(name, render(), process.execPath, ['--check']);
      expect([result.status, result.stderr]).toEqual([0, '']);
    });

    test.each([
      ['copy-keyfile.sh', renderCopyKeyfileScript],
      ['init.sh', () => renderInitScript(init)],
    ])('%s parses as sh (sh -n)', (name, render) => {
      const result = check(name, render(), 'sh', ['-n']);
      expect([result.status, result.stderr]).toEqual([0, '']);
    });

    test('the checks do catch broken scripts', () => {
      expect(check('broken.js', 'if (x {', process.execPath, ['--check']).status).not.toBe(0);
      expect(check('broken.sh', 'if then fi', 'sh', ['-n']).status).not.toBe(0);
    });
  });
});

describe('MongoDB setting errors', () => {
  test('an even number of members', () => {
    expect(() => build({ inCluster: { replicas: 4 } })).toThrow(quorumMessage('datastores.mongodb.inCluster.replicas', 4, 'a replica set'));
  });

  test('a single member', () => {
    expect(() => build({ inCluster: { replicas: 1 } })).toThrow(quorumMessage('datastores.mongodb.inCluster.replicas', 1, 'a replica set'));
  });

  test('a fractional member count', () => {
    expect(() => build({ inCluster: { replicas: 3.5 } })).toThrow(quorumMessage('datastores.mongodb.inCluster.replicas', 3.5, 'a replica set'));
  });

  test('a missing Secret name', () => {
    expect(() => build({ secretName: '' })).toThrow(
      'datastores.mongodb.secretName: no Secret name given. Fix: name the Secret you created with keys password, root-password and keyfile (see README, "Secrets")',
    );
  });

  test('a storage size that is not a quantity', () => {
    expect(() => build({ inCluster: { storageSize: '10GB' } })).toThrow(
      'datastores.mongodb.inCluster.storageSize: "10GB" is not a volume size. Fix: write a whole number with Mi, Gi or Ti, e.g. 10Gi',
    );
  });

  test('a StorageClass name that is not a name', () => {
    expect(() => build({ inCluster: { storageClassName: 'Fast SSD' } })).toThrow(
      'datastores.mongodb.inCluster.storageClassName: "Fast SSD" is not a StorageClass name. Fix: name an existing StorageClass, or leave it out for the cluster default',
    );
  });

  test('a replica set name that would break the scripts', () => {
    expect(() => build({ replicaSet: 'rs 0' })).toThrow('datastores.mongodb.replicaSet: "rs 0" is not a replica set name. Fix: use letters, digits, _ and -');
  });

  test('an image without mongosh', () => {
    expect(() => build({ inCluster: { image: { tag: '4.4.29' } } })).toThrow(
      `datastores.mongodb.inCluster.image.tag: 4.4.29 ships only the legacy mongo shell, not mongosh. Fix: use ${MONGO_DEFAULT_IMAGE.tag} (the newest StackStorm 3.9 supports) or another 5.0+ image`,
    );
  });

  test('an unpinned image', () => {
    expect(() => build({ inCluster: { image: { tag: 'latest' } } })).toThrow('datastores.mongodb.inCluster.image.tag: "latest" is not a pinned tag');
  });
});

describe('StackStormHa wiring', () => {
  test('in-cluster mode builds the replica set and hands its endpoint to st2', () => {
    const objects = synth({ namespace: 'st2-test' });
    expect(find(objects, 'StatefulSet', 'mongodb').spec.replicas).toBe(3);
    const st2conf = objects
      .filter((o) => o.kind === 'ConfigMap')
      .map((o) => Object.values(o.data ?? {}).join('\n'))
      .join('\n');
    expect(st2conf).toContain(init.members.join(','));
    expect(st2conf).toMatch(/replicaSet=rs0/);
  });

  test('external mode builds no MongoDB objects', () => {
    const objects = synth({ datastores: { mongodb: { mode: 'external', external: { hosts: ['mongo-a.example.com:27017'] } } } });
    expect(objects.filter((o) => o.metadata.name.startsWith('mongodb'))).toEqual([]);
  });

  test('an invalid member count stops the whole synth', () => {
    expect(() => synth({ datastores: { mongodb: { inCluster: { replicas: 2 } } } })).toThrow(/datastores\.mongodb\.inCluster\.replicas: got 2/);
  });
});
