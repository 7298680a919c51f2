/**
 * A real PostgreSQL 15 (Debian's postgresql-15) run from our postgresql.conf and pg_hba.conf,
 * taken from dist/ha-legacy-mistral/ConfigMap.postgresql-config.k8s.yaml exactly as
 * synthesized. Changes: `listen_addresses` binds 127.0.50.1, and `hba_file` and
 * `unix_socket_directories` point into a temporary folder; pg_hba.conf is used unchanged.
 * The cluster is created with the initdb arguments the StatefulSet gives the image
 * (POSTGRES_INITDB_ARGS). PostgreSQL refuses to run as root: it runs as Debian's `postgres`
 * user through setpriv, which execs, so the spawned PID is the postmaster's.
 */
import { ChildProcess, execFileSync, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { K8sObject } from '../support/synth';
import { waitUntil } from '../support/wait';
import { endTrackedChildren, spawnTracked } from '../support/children';

const DIST = path.join(__dirname, '..', '..', 'dist', 'ha-legacy-mistral');
const BIN = '/usr/lib/postgresql/15/bin';
const IP = '127.0.50.1';
const PORT = 5432;
const SUPERUSER_PASSWORD = 'super "secret" $1';
const MISTRAL_PASSWORD = "mistral's p@ss:word/%";
const ROTATED_PASSWORD = 'rotated-password-2';

const configMap: K8sObject = parse(fs.readFileSync(path.join(DIST, 'ConfigMap.postgresql-config.k8s.yaml'), 'utf8'));
const statefulSet: K8sObject = parse(fs.readFileSync(path.join(DIST, 'StatefulSet.postgresql.k8s.yaml'), 'utf8'));
const job: K8sObject = parse(fs.readFileSync(path.join(DIST, 'Job.postgresql-init.k8s.yaml'), 'utf8'));
const files = configMap.data!;
const server = statefulSet.spec.template.spec.containers[0];
const envOf = (container: any, name: string) => container.env.find((e: any) => e.name === name);

let work: string;
let postgres: ChildProcess | undefined;
let pgUser: { uid: number; gid: number };
const started = Date.now();
const log = (message: string) => console.log(`[postgresql +${((Date.now() - started) / 1000).toFixed(2)}s] ${message}`);

/** Runs a command with a bound; returns the full result (never throws on a non-zero exit). */
function run(command: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  // cwd: the postgres user may not be allowed into the checkout (a clone under a private
  // mktemp -d), and initdb and postgres fail when they cannot look at their working directory.
  return spawnSync(command, args, { cwd: work, encoding: 'utf8', timeout: 30000, env: { ...process.env, PGCONNECT_TIMEOUT: '5', ...env } });
}

function asPostgres(command: string, args: string[]): string[] {
  return ['--reuid', String(pgUser.uid), '--regid', String(pgUser.gid), '--init-groups', '--', command, ...args];
}

/** psql over TCP as `user` with `password`: the way Mistral (and the init Job) connect. */
function psql(user: string, password: string, database: string, sql: string): SpawnSyncReturns<string> {
  return run('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', IP, '-p', String(PORT), '-U', user, '-d', database, '-c', sql], {
    PGPASSWORD: password,
  });
}

/** The synthesized init Job's script, aimed at 127.0.50.1, with the Job's environment names. */
function runInitScript(mistralPassword: string): SpawnSyncReturns<string> {
  const container = job.spec.template.spec.containers[0];
  expect(envOf(container, 'PGUSER').value).toBe('postgres');
  expect(envOf(container, 'PGPORT').value).toBe(String(PORT));
  expect(envOf(container, 'PGPASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'st2-postgresql', key: 'postgres-password' });
  expect(envOf(container, 'MISTRAL_DB_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'st2-postgresql', key: 'password' });
  return run('/bin/sh', [path.join(work, 'scripts', 'init-mistral.sh')], {
    PGHOST: IP,
    PGPORT: String(PORT),
    PGUSER: 'postgres',
    PGPASSWORD: SUPERUSER_PASSWORD,
    MISTRAL_DB_PASSWORD: mistralPassword,
  });
}

/** A probe command of the synthesized container, aimed at our address and socket folder. */
function probe(kind: 'readinessProbe' | 'livenessProbe' | 'startupProbe'): boolean {
  const [command, ...args] = (server[kind].exec.command as string[]).map((arg) =>
    arg === '127.0.0.1' ? IP : arg === '/var/run/postgresql' ? path.join(work, 'socket') : arg,
  );
  return run(command, args).status === 0;
}

beforeAll(() => {
  pgUser = {
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
  };
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'postgresql-'));
  fs.chmodSync(work, 0o755);
  for (const dir of ['socket', 'scripts', 'data']) fs.mkdirSync(path.join(work, dir));
  // The server's own folders belong to its user, as the volumes do in the pod (fsGroup).
  for (const dir of ['socket', 'data']) fs.chownSync(path.join(work, dir), pgUser.uid, pgUser.gid);
  fs.chmodSync(path.join(work, 'data'), 0o700);
});

afterAll(async () => {
  if (postgres && postgres.exitCode === null && postgres.signalCode === null) {
    const child = postgres;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('our postgresql.conf and pg_hba.conf serve Mistral: role and database created idempotently, passwords enforced', async () => {
  // The files carry exactly the lines we map, once each.
  const conf = files['postgresql.conf'];
  expect(conf.match(/^listen_addresses = '\*'$/gm)).toHaveLength(1);
  expect(conf.match(/^hba_file = '\/etc\/postgresql\/pg_hba.conf'$/gm)).toHaveLength(1);
  expect(conf.match(/^unix_socket_directories = '\/var\/run\/postgresql'$/gm)).toHaveLength(1);
  expect(server.args).toEqual(['postgres', '-c', 'config_file=/etc/postgresql/postgresql.conf']);

  // The cluster, created as the image's entrypoint would: same initdb arguments.
  const data = path.join(work, 'data');
  const passwordFile = path.join(work, 'superuser-password');
  fs.writeFileSync(passwordFile, `${SUPERUSER_PASSWORD}\n`, { mode: 0o600 });
  fs.chownSync(passwordFile, pgUser.uid, pgUser.gid);
  const initdbArgs = (envOf(server, 'POSTGRES_INITDB_ARGS').value as string).split(' ');
  const initdb = run('setpriv', asPostgres(`${BIN}/initdb`, ['-D', data, '-U', 'postgres', `--pwfile=${passwordFile}`, ...initdbArgs]));
  expect(initdb.status === 0 ? 0 : `${initdb.status}: ${initdb.stderr}${initdb.stdout}`).toBe(0);
  log(`initdb ${initdbArgs.join(' ')}`);

  const confFile = path.join(work, 'postgresql.conf');
  const hbaFile = path.join(work, 'pg_hba.conf');
  fs.writeFileSync(hbaFile, files['pg_hba.conf']);
  fs.writeFileSync(
    confFile,
    conf
      .replace(/^listen_addresses = .*$/m, `listen_addresses = '${IP}'`)
      .replace(/^hba_file = .*$/m, `hba_file = '${hbaFile}'`)
      .replace(/^unix_socket_directories = .*$/m, `unix_socket_directories = '${path.join(work, 'socket')}'`),
  );
  for (const name of ['init-mistral.sh', 'create-mistral.sql']) fs.writeFileSync(path.join(work, 'scripts', name), files[name]);

  const out = fs.openSync(path.join(work, 'server.log'), 'a');
  postgres = spawnTracked('setpriv', asPostgres(`${BIN}/postgres`, ['-D', data, '-c', `config_file=${confFile}`]), { cwd: work, stdio: ['ignore', out, out] });
  const serverLog = () => fs.readFileSync(path.join(work, 'server.log'), 'utf8');
  const up = await waitUntil(
    'PostgreSQL to accept connections',
    30000,
    () => {
      if (postgres!.exitCode !== null) throw new Error(`postgres exited: ${serverLog()}`);
      return run('pg_isready', ['-q', '-h', IP, '-p', String(PORT)]).status === 0;
    },
    100,
  );
  log(`accepting connections after ${up} ms (pid ${postgres.pid})`);
  expect([probe('readinessProbe'), probe('livenessProbe'), probe('startupProbe')]).toEqual([true, true, true]);
  expect(psql('postgres', SUPERUSER_PASSWORD, 'postgres', 'SHOW password_encryption').stdout.trim()).toBe('scram-sha-256');

  // The init Job's script, twice: the second run finds the role and the database and succeeds.
  for (const round of [1, 2]) {
    const result = runInitScript(MISTRAL_PASSWORD);
    expect([round, result.status, result.stderr]).toEqual([round, 0, '']);
  }
  log('role/database script ran twice');
  const roles = psql(
    'postgres',
    SUPERUSER_PASSWORD,
    'postgres',
    "SELECT rolname, rolsuper, rolcreaterole, rolcanlogin, left(rolpassword, 13) FROM pg_authid WHERE rolname = 'mistral'",
  );
  expect(roles.stdout.trim()).toBe('mistral|f|f|t|SCRAM-SHA-256');
  expect(
    psql(
      'postgres',
      SUPERUSER_PASSWORD,
      'postgres',
      "SELECT count(*), pg_get_userbyid(max(datdba)::oid) FROM pg_database WHERE datname = 'mistral'",
    ).stdout.trim(),
  ).toBe('1|mistral');

  // Mistral's login over TCP with the password; it owns its database and can create its schema.
  const mistral = psql('mistral', MISTRAL_PASSWORD, 'mistral', 'CREATE TABLE schema_probe (id int); SELECT current_user, current_database()');
  expect([mistral.status, mistral.stdout.trim(), mistral.stderr]).toEqual([0, 'CREATE TABLE\nmistral|mistral', '']);

  // A wrong password is refused, and so is every pair pg_hba.conf does not list.
  const wrong = psql('mistral', 'not-the-password', 'mistral', 'SELECT 1');
  expect(wrong.status).not.toBe(0);
  expect(wrong.stderr).toMatch(/password authentication failed for user "mistral"/);
  const otherDatabase = psql('mistral', MISTRAL_PASSWORD, 'postgres', 'SELECT 1');
  expect(otherDatabase.stderr).toMatch(/pg_hba\.conf rejects connection for host "[0-9.]+", user "mistral", database "postgres"/);
  const superuserIntoMistral = psql('postgres', SUPERUSER_PASSWORD, 'mistral', 'SELECT 1');
  expect(superuserIntoMistral.stderr).toMatch(/pg_hba\.conf rejects connection for host "[0-9.]+", user "postgres", database "mistral"/);

  // A rotated Secret takes effect on the next run: the new password works, the old one no longer.
  expect(runInitScript(ROTATED_PASSWORD).status).toBe(0);
  expect(psql('mistral', ROTATED_PASSWORD, 'mistral', 'SELECT 1').stdout.trim()).toBe('1');
  expect(psql('mistral', MISTRAL_PASSWORD, 'mistral', 'SELECT 1').stderr).toMatch(/password authentication failed/);
  // An empty Secret value stops the script before it touches the server.
  const empty = runInitScript('');
  expect([empty.status, empty.stderr.trim()]).toEqual([1, 'MISTRAL_DB_PASSWORD is empty: check the Secret']);

  // The preStop hook's fast shutdown stops the server with clients still connected.
  const idle = spawnTracked('psql', ['-X', '-h', IP, '-p', String(PORT), '-U', 'mistral', '-d', 'mistral'], {
    cwd: work,
    env: { ...process.env, PGPASSWORD: ROTATED_PASSWORD },
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  await waitUntil(
    'the idle client to connect',
    10000,
    () => psql('mistral', ROTATED_PASSWORD, 'mistral', "SELECT count(*) FROM pg_stat_activity WHERE usename = 'mistral'").stdout.trim() === '2',
  );
  const preStop = (server.lifecycle.preStop.exec.command as string[]).map((arg) => (arg === '/var/lib/postgresql/data/pgdata' ? data : arg));
  const [command, ...args] = preStop;
  const stopStart = Date.now();
  const stop = run('setpriv', asPostgres(`${BIN}/${command}`, args));
  expect([stop.status, stop.stderr]).toEqual([0, '']);
  await waitUntil('the postmaster to exit', 15000, () => postgres!.exitCode !== null || postgres!.signalCode !== null);
  log(`preStop fast shutdown with an idle client took ${Date.now() - stopStart} ms`);
  expect(serverLog()).toMatch(/received fast shutdown request/);
  idle.kill('SIGKILL');
});

endTrackedChildren();
