import { ENVIRONMENTS } from '../../environments';
import { StackStormHaSettings } from '../../lib';
import { renderCreateRoleSql, renderPostgresInitScript, renderPgHba, renderPostgresqlConf } from '../../lib/backing/postgres-conf';
import { expectSettingError } from '../support/errors';
import { validateAll } from '../support/k8s-schema';
import { container, find, synth } from '../support/synth';

const LEGACY = ENVIRONMENTS['ha-legacy-mistral'];
const objects = synth(LEGACY);
const withPostgres = (postgresql: NonNullable<StackStormHaSettings['mistral']>['postgresql']): StackStormHaSettings => ({ ...LEGACY, mistral: { postgresql } });

test('postgresql.conf: listens in the pod, SCRAM passwords, socket and pg_hba.conf where they are mounted', () => {
  const conf = renderPostgresqlConf({
    listenAddresses: '*',
    port: 5432,
    hbaFile: '/etc/postgresql/pg_hba.conf',
    socketDirectory: '/var/run/postgresql',
    maxConnections: 200,
    sharedBuffersMiB: 256,
  });
  const settings = Object.fromEntries(
    conf
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(' = ')),
  );
  expect(settings).toMatchObject({
    listen_addresses: "'*'",
    port: '5432',
    max_connections: '200',
    unix_socket_directories: "'/var/run/postgresql'",
    hba_file: "'/etc/postgresql/pg_hba.conf'",
    password_encryption: "'scram-sha-256'",
    shared_buffers: "'256MB'",
    fsync: 'on',
  });
  expect(renderPostgresqlConf({ listenAddresses: "it's", port: 1, hbaFile: 'x', socketDirectory: 'y', maxConnections: 20, sharedBuffersMiB: 32 })).toContain(
    "listen_addresses = 'it''s'",
  );
});

test('pg_hba.conf: peer for the postgres user on the socket, SCRAM over TCP for two pairs only, the rest rejected', () => {
  const rows = renderPgHba({ database: 'mistral', role: 'mistral', clientCidrs: ['10.0.0.0/8'] })
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(/\s+/));
  expect(rows).toEqual([
    ['local', 'all', 'postgres', 'peer'],
    ['host', 'mistral', 'mistral', '10.0.0.0/8', 'scram-sha-256'],
    ['host', 'postgres', 'postgres', '10.0.0.0/8', 'scram-sha-256'],
    ['local', 'all', 'all', 'reject'],
    ['host', 'all', 'all', 'all', 'reject'],
  ]);
});

test('role script: creates only when missing, sets the password from the environment, never on a command line', () => {
  const sql = renderCreateRoleSql('MISTRAL_DB_PASSWORD');
  expect(sql).toContain('\\getenv password MISTRAL_DB_PASSWORD');
  expect(sql).toMatch(/CREATE ROLE %I LOGIN', :'role'\) WHERE NOT EXISTS \(SELECT FROM pg_roles WHERE rolname = :'role'\) \\gexec/);
  expect(sql).toMatch(/CREATE DATABASE %I OWNER %I', :'database', :'role'\) WHERE NOT EXISTS \(SELECT FROM pg_database/);
  const script = renderPostgresInitScript({ database: 'wf', role: 'wf_user', passwordEnv: 'MISTRAL_DB_PASSWORD', timeoutSeconds: 90 });
  expect(script).toContain('-v role=wf_user -v database=wf');
  expect(script).toContain('deadline=$(( $(date +%s) + 90 ))');
  expect(script).not.toMatch(/PASSWORD[^_]*-v password/);
});

test('the in-cluster server: one member, its own claim, probes, fast shutdown, no PDB, Secret references only', () => {
  const statefulSet = find(objects, 'StatefulSet', 'postgresql');
  expect(statefulSet.spec.replicas).toBe(1);
  expect(statefulSet.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } } });
  const c = container(statefulSet);
  expect(c.image).toBe('docker.io/library/postgres:15.13');
  expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
  expect(c.env.find((e: any) => e.name === 'PGDATA').value).toBe('/var/lib/postgresql/data/pgdata');
  expect(c.env.find((e: any) => e.name === 'POSTGRES_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'st2-postgresql', key: 'postgres-password' });
  expect(c.readinessProbe.exec.command).toContain('127.0.0.1');
  expect(c.livenessProbe.exec.command).toContain('/var/run/postgresql');
  expect(c.livenessProbe).not.toEqual(c.readinessProbe);
  expect(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds).toBeGreaterThanOrEqual(300);
  expect(c.lifecycle.preStop.exec.command).toEqual(['pg_ctl', 'stop', '-D', '/var/lib/postgresql/data/pgdata', '-m', 'fast', '-w', '-t', '60']);
  expect(statefulSet.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(60);
  expect(statefulSet.spec.template.spec.securityContext).toMatchObject({ runAsUser: 999, fsGroup: 999, runAsNonRoot: true });
  expect(objects.some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'postgresql')).toBe(false);
  expect(find(objects, 'Service', 'postgresql').spec.ports).toEqual([{ name: 'postgresql', port: 5432, targetPort: 5432 }]);
  expect(find(objects, 'Service', 'postgresql-headless').spec.clusterIP).toBe('None');
  expect(find(objects, 'ConfigMap', 'postgresql-config').metadata.labels!['app.kubernetes.io/name']).toBe('postgresql');
  expect(JSON.stringify(objects.filter((o) => o.metadata.name.startsWith('postgresql')))).not.toMatch(/"kind":"Secret"/);

  const init = find(objects, 'Job', 'postgresql-init');
  expect(container(init).command).toEqual(['/bin/sh', '/etc/postgresql/init-mistral.sh']);
  expect(container(init).env.find((e: any) => e.name === 'PGHOST').value).toBe('postgresql.stackstorm.svc.cluster.local');
  expect(validateAll(objects.filter((o) => o.metadata.name.startsWith('postgresql')))).toEqual([]);
});

test('sizing: shared_buffers follows the memory limit; storage class and size pass through', () => {
  const sized = synth(
    withPostgres({
      inCluster: {
        resources: { cpuRequest: '1', memoryRequest: '1Gi', memoryLimit: '4Gi' },
        storageSize: '50Gi',
        storageClassName: 'fast-ssd',
        clientCidrs: ['10.244.0.0/16'],
      },
    }),
  );
  const data = find(sized, 'ConfigMap', 'postgresql-config').data!;
  expect(data['postgresql.conf']).toContain("shared_buffers = '1024MB'");
  expect(data['pg_hba.conf']).toContain('10.244.0.0/16');
  expect(data['pg_hba.conf']).not.toContain('0.0.0.0/0');
  expect(find(sized, 'StatefulSet', 'postgresql').spec.volumeClaimTemplates[0].spec).toMatchObject({
    storageClassName: 'fast-ssd',
    resources: { requests: { storage: '50Gi' } },
  });
});

test('invalid PostgreSQL settings are refused before anything is built', () => {
  expectSettingError(() => synth(withPostgres({ database: 'Mistral-DB' })), 'mistral.postgresql.database', 'is not a plain PostgreSQL name');
  expectSettingError(() => synth(withPostgres({ username: "x'; DROP" })), 'mistral.postgresql.username', 'is not a plain PostgreSQL name');
  expectSettingError(() => synth(withPostgres({ inCluster: { storageSize: '10GB' } })), 'mistral.postgresql.inCluster.storageSize', 'is not a volume size');
  expectSettingError(() => synth(withPostgres({ inCluster: { clientCidrs: ['everyone'] } })), 'mistral.postgresql.inCluster.clientCidrs[0]', 'is not a CIDR');
  // The one CIDR rule the NetworkPolicies use too: a prefix past 32 bits is no IPv4 network.
  expectSettingError(
    () => synth(withPostgres({ inCluster: { clientCidrs: ['10.0.0.0/8', '10.0.0.0/33'] } })),
    'mistral.postgresql.inCluster.clientCidrs[1]',
    '"10.0.0.0/33" is not a CIDR',
  );
  expectSettingError(() => synth(withPostgres({ inCluster: { clientCidrs: [] } })), 'mistral.postgresql.inCluster.clientCidrs', 'no network given');
  expectSettingError(() => synth(withPostgres({ inCluster: { maxConnections: 5 } })), 'mistral.postgresql.inCluster.maxConnections', 'integer >= 20');
  expectSettingError(
    () => synth(withPostgres({ inCluster: { image: { tag: '14.12' } } })),
    'mistral.postgresql.inCluster.image.tag',
    'not PostgreSQL 15 or newer',
  );
  expectSettingError(() => synth(withPostgres({ inCluster: { image: { tag: 'latest' } } })), 'mistral.postgresql.inCluster.image.tag', 'is not a pinned tag');
  expectSettingError(() => synth(withPostgres({ secretName: '' })), 'mistral.postgresql.secretName', 'no Secret name given');
});
