/**
 * Pure renderers for the PostgreSQL that Mistral keeps its state in: postgresql.conf,
 * pg_hba.conf, and the idempotent script that creates Mistral's role and database. The
 * same functions feed the ConfigMap and the real-server test.
 */

export const POSTGRES_PORT = 5432;

/** Paths inside the PostgreSQL container; one place so mounts, files and probes agree. */
export const POSTGRES_PATHS = {
  /** The ConfigMap: postgresql.conf, pg_hba.conf and the init scripts. */
  configDir: '/etc/postgresql',
  configFile: '/etc/postgresql/postgresql.conf',
  hbaFile: '/etc/postgresql/pg_hba.conf',
  initScript: '/etc/postgresql/init-mistral.sh',
  /** Mount point of the claim; the cluster lives one level down, so `lost+found` is not in it. */
  dataMount: '/var/lib/postgresql/data',
  dataDir: '/var/lib/postgresql/data/pgdata',
  /** The image's socket directory (an emptyDir: the root filesystem is read-only). */
  socketDir: '/var/run/postgresql',
} as const;

/** File names in the ConfigMap `postgresql-config`. */
export const POSTGRES_FILES = {
  conf: 'postgresql.conf',
  hba: 'pg_hba.conf',
  initScript: 'init-mistral.sh',
  createRoleSql: 'create-mistral.sql',
} as const;

/** What postgresql.conf is rendered from. */
export interface PostgresqlConfInput {
  /** `listen_addresses`: `*` in a pod (its own network namespace). */
  readonly listenAddresses: string;
  readonly port: number;
  /** Where pg_hba.conf is mounted. */
  readonly hbaFile: string;
  /** Directory of the Unix socket the entrypoint, probes and pg_ctl use. */
  readonly socketDirectory: string;
  /** `max_connections`: every Mistral process holds a pool. */
  readonly maxConnections: number;
  /** `shared_buffers` in MiB. */
  readonly sharedBuffersMiB: number;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * postgresql.conf. Only what differs from PostgreSQL's defaults or what the deployment
 * depends on is written; the data directory comes from PGDATA / `-D`.
 */
export function renderPostgresqlConf(input: PostgresqlConfInput): string {
  const lines: [string, string | number][] = [
    ['listen_addresses', quote(input.listenAddresses)],
    ['port', input.port],
    ['max_connections', input.maxConnections],
    ['unix_socket_directories', quote(input.socketDirectory)],
    ['hba_file', quote(input.hbaFile)],
    // Passwords are stored and checked as SCRAM; md5 is weaker and deprecated.
    ['password_encryption', quote('scram-sha-256')],
    ['shared_buffers', quote(`${input.sharedBuffersMiB}MB`)],
    // Logs go to the container's stderr; Kubernetes collects them.
    ['logging_collector', 'off'],
    ['log_destination', quote('stderr')],
    ['log_timezone', quote('UTC')],
    ['timezone', quote('UTC')],
    // Durability stays at PostgreSQL's defaults: Mistral's state must survive a crash.
    ['fsync', 'on'],
    ['synchronous_commit', 'on'],
    ['full_page_writes', 'on'],
  ];
  return `# postgresql.conf rendered by stackstorm-ha-cdk8s for Mistral.\n${lines.map(([key, value]) => `${key} = ${value}`).join('\n')}\n`;
}

/** What pg_hba.conf is rendered from. */
export interface PgHbaInput {
  /** Mistral's database and role: the only pair allowed over the network besides the superuser's setup. */
  readonly database: string;
  readonly role: string;
  /** Client networks (pod CIDRs); passwords are required from all of them. */
  readonly clientCidrs: readonly string[];
}

/**
 * pg_hba.conf: first match wins. Inside the pod the `postgres` OS user reaches the server
 * over the socket by peer identity (the image's entrypoint and pg_ctl need this). Over
 * TCP, Mistral's role may reach only its database, and the superuser only the `postgres`
 * database (the init Job creates the role from there); both with SCRAM passwords.
 * Everything else is rejected explicitly.
 */
export function renderPgHba(input: PgHbaInput): string {
  const rows: string[][] = [['local', 'all', 'postgres', '', 'peer']];
  for (const cidr of input.clientCidrs) {
    rows.push(['host', input.database, input.role, cidr, 'scram-sha-256']);
    rows.push(['host', 'postgres', 'postgres', cidr, 'scram-sha-256']);
  }
  rows.push(['local', 'all', 'all', '', 'reject'], ['host', 'all', 'all', 'all', 'reject']);
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column].length)));
  const format = (row: string[]) =>
    row
      .map((cell, column) => (column < 4 ? cell.padEnd(widths[column]) : cell))
      .join('  ')
      .replace(/\s+$/, '');
  return `# pg_hba.conf rendered by stackstorm-ha-cdk8s. First match wins.\n# TYPE DATABASE USER ADDRESS METHOD\n${rows.map(format).join('\n')}\n`;
}

/**
 * The role and database, created only when missing, the role's password set from the
 * environment on every run (so a rotated Secret takes effect on the next run). Runs under
 * `psql -v role=... -v database=...`; the password never appears on a command line.
 * `\getenv` needs psql 15 or newer.
 */
export function renderCreateRoleSql(passwordEnv: string): string {
  return `\\set ON_ERROR_STOP on
\\getenv password ${passwordEnv}
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \\gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEROLE PASSWORD %L', :'role', :'password') \\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \\gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'database', :'role') \\gexec
`;
}

/** What the init script needs. */
export interface PostgresInitInput {
  readonly database: string;
  readonly role: string;
  /** Environment variable holding the role's password. */
  readonly passwordEnv: string;
  /** Seconds to wait for the server before failing (the Job then retries). */
  readonly timeoutSeconds: number;
}

/**
 * The init Job's script: wait (bounded) until the server accepts connections at
 * PGHOST:PGPORT, then run the role/database SQL that sits next to it as the superuser
 * (PGUSER/PGPASSWORD). Safe to run any number of times.
 */
export function renderPostgresInitScript(input: PostgresInitInput): string {
  return `#!/bin/sh
set -eu
: "\${PGHOST:?PGHOST is not set}" "\${PGPORT:?PGPORT is not set}"
if [ -z "\${${input.passwordEnv}:-}" ]; then echo "${input.passwordEnv} is empty: check the Secret" >&2; exit 1; fi
deadline=$(( $(date +%s) + ${input.timeoutSeconds} ))
until pg_isready -q -h "$PGHOST" -p "$PGPORT" -t 3; do
  if [ "$(date +%s)" -ge "$deadline" ]; then echo "PostgreSQL at $PGHOST:$PGPORT did not answer in ${input.timeoutSeconds} s" >&2; exit 1; fi
  sleep 2
done
exec psql -X -q -v ON_ERROR_STOP=1 -d postgres -v role=${input.role} -v database=${input.database} -f "$(dirname "$0")/${POSTGRES_FILES.createRoleSql}"
`;
}
