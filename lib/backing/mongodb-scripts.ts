import { fillTemplate } from '../common/template';

/**
 * Pure renderers of the scripts the in-cluster MongoDB replica set runs: the keyfile copy
 * (init container), the probes, and the one-shot initialisation (Job `mongodb-init`).
 *
 * The JavaScript is written for mongosh (official images ship it from 5.0 on; 4.4 images
 * only have the legacy `mongo` shell, which lacks `process.env`). It is kept to plain
 * ECMAScript so `node --check` can parse it in tests; mongosh globals (`db`, `rs`, `sleep`,
 * `print`) are only resolved when it runs. Everything a script needs is rendered in as a
 * JSON literal except secrets, which are read from the environment at run time.
 */

/** The script templates, shipped beside the sources (package.json `files`). */
const SCRIPTS = 'lib/backing/scripts';

/** Where the pieces live inside the containers. */
export const MONGO_PATHS = {
  /** The Secret's `keyfile` key, mounted read-only (root-owned, group-readable: mongod refuses it). */
  keyfileSecretDir: '/etc/mongodb/keyfile-secret',
  /** Memory-backed emptyDir the init container copies the keyfile into. */
  keyfileDir: '/etc/mongodb/keyfile',
  /** The copy mongod reads: mode 0400, owned by the mongod UID. */
  keyfile: '/etc/mongodb/keyfile/keyfile',
  /** Data directory (the PersistentVolumeClaim). */
  dataDir: '/data/db',
  /** The scripts ConfigMap. */
  scriptsDir: '/etc/mongodb/scripts',
  /** Writable scratch: mongod's unix socket, the entrypoint's pid file, mongosh's HOME. */
  tmp: '/tmp',
} as const;

/** Environment variables the initialisation scripts read their secrets from. */
export const MONGO_INIT_ENV = {
  rootUsername: 'MONGO_ROOT_USERNAME',
  rootPassword: 'MONGO_ROOT_PASSWORD',
  userPassword: 'MONGO_USER_PASSWORD',
} as const;

/** What the initialisation needs to know about the set. */
export interface ReplicaSetInit {
  /** Replica set name (`--replSet`). */
  readonly replicaSet: string;
  /** `host:port` of every member, member 0 first; all go into `rs.initiate`. */
  readonly members: readonly string[];
  /** Database st2 uses; its user is created there (st2 connects with authSource = it). */
  readonly database: string;
  /** The user st2 logs in as. */
  readonly username: string;
  /** Database the user is created in (st2 connects with this authSource). @default `database` */
  readonly authSource?: string;
  /** Seconds to wait for every member to answer, and then for a primary. */
  readonly timeoutSeconds: number;
}

/** File names inside the scripts ConfigMap. */
export const MONGO_SCRIPT_FILES = {
  copyKeyfile: 'copy-keyfile.sh',
  init: 'init.sh',
  initiate: 'initiate.js',
  createUser: 'create-user.js',
} as const;

const SHELL_SAFE = /^[A-Za-z0-9._:-]+$/;

function shellWord(value: string): string {
  // Every value we render into sh is a DNS name, port, set name or path; refuse anything
  // else rather than quote it, so a surprising value fails at synth, not in the cluster.
  if (!SHELL_SAFE.test(value) && !/^\/[A-Za-z0-9._/-]+$/.test(value)) throw new Error(`${JSON.stringify(value)} is not safe to render into a shell script`);
  return value;
}

/**
 * The init container's script: copy the keyfile out of the Secret volume and make it
 * private. mongod refuses a keyfile any group or other can read, and a Secret volume with
 * an fsGroup is always group-readable. The container runs as the mongod UID, so the copy is
 * owned by it. `rm -f` first: the emptyDir survives container restarts and a 0400 file
 * cannot be overwritten.
 */
export function renderCopyKeyfileScript(): string {
  return fillTemplate(`${SCRIPTS}/mongodb-copy-keyfile.sh`, { KEYFILE: MONGO_PATHS.keyfile, KEYFILE_SECRET_DIR: MONGO_PATHS.keyfileSecretDir });
}

/**
 * Readiness: only a primary or a secondary serves. A member that is starting, recovering,
 * in initial sync or not yet in a set answers `hello` without either flag. `hello` needs no
 * authentication.
 */
export function renderReadinessScript(): string {
  return [
    'const hello = db.hello();',
    'if (!(hello.isWritablePrimary || hello.secondary)) {',
    "  throw new Error('neither primary nor secondary (set: ' + hello.setName + ')');",
    '}',
  ].join('\n');
}

/**
 * Liveness (and startup): mongod answers at all. Deliberately weaker than readiness, so a
 * member in a long initial sync or without a set yet is not restarted.
 */
export function renderLivenessScript(): string {
  return ['const reply = db.adminCommand({ ping: 1 });', 'if (reply.ok !== 1) {', "  throw new Error('ping failed: ' + JSON.stringify(reply));", '}'].join(
    '\n',
  );
}

/** A mongosh connection string with no credentials (they are given to `db.auth`). */
export function mongoConnectionString(hosts: readonly string[], database: string, options: Record<string, string | number>): string {
  const query = Object.entries(options)
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  return `mongodb://${hosts.join(',')}/${database}${query ? `?${query}` : ''}`;
}

/**
 * The Job's entry point: wait (bounded) until every member answers, initiate the set from
 * member 0, then create st2's user through whichever member is primary. Safe to re-run:
 * each step checks before it acts.
 */
export function renderInitScript(init: ReplicaSetInit): string {
  checkInit(init);
  const members = init.members.map(shellWord);
  return fillTemplate(`${SCRIPTS}/mongodb-init.sh`, {
    REPLICA_SET: init.replicaSet,
    TIMEOUT_SECONDS: init.timeoutSeconds,
    MEMBERS: members.join(' '),
    FIRST_MEMBER_URI: mongoConnectionString([members[0]], 'admin', { directConnection: 'true', serverSelectionTimeoutMS: 5000 }),
    REPLICA_SET_URI: mongoConnectionString(members, 'admin', { replicaSet: shellWord(init.replicaSet), serverSelectionTimeoutMS: 30000 }),
    SCRIPTS_DIR: MONGO_PATHS.scriptsDir,
    INITIATE_FILE: MONGO_SCRIPT_FILES.initiate,
    CREATE_USER_FILE: MONGO_SCRIPT_FILES.createUser,
  });
}

/** The environment variables the scripts log in with. */
const AUTH_ENV = { ROOT_USERNAME_ENV: MONGO_INIT_ENV.rootUsername, ROOT_PASSWORD_ENV: MONGO_INIT_ENV.rootPassword };

/**
 * Runs on member 0 (direct connection): `rs.initiate` with every member, but only when
 * `rs.status()` reports the set is not initialised (NotYetInitialized, code 94); then waits
 * for a primary. If member 0 lost its data while the others still hold the set, initiate is
 * refused by the others ("has data already") and the Job retries until member 0 has
 * rejoined; it never starts a second set.
 */
export function renderInitiateScript(init: ReplicaSetInit): string {
  checkInit(init);
  const config = { _id: init.replicaSet, members: init.members.map((host, index) => ({ _id: index, host })) };
  return fillTemplate(`${SCRIPTS}/mongodb-initiate.js`, {
    REPLICA_SET: init.replicaSet,
    MEMBER_COUNT: init.members.length,
    CONFIG_JSON: JSON.stringify(config, null, 2),
    TIMEOUT_MILLISECONDS: init.timeoutSeconds * 1000,
    ...AUTH_ENV,
  });
}

/**
 * Runs against the set (the driver finds the primary): creates st2's user on its database
 * with readWrite + dbAdmin there, only when absent. An existing user is left unchanged, so a
 * re-run never resets a password someone rotated by hand.
 */
export function renderCreateUserScript(init: ReplicaSetInit): string {
  checkInit(init);
  const user = {
    user: init.username,
    roles: [
      { role: 'readWrite', db: init.database },
      { role: 'dbAdmin', db: init.database },
    ],
  };
  // The user lives in its authSource database, with its roles on st2's database.
  const home = init.authSource ?? init.database;
  return fillTemplate(`${SCRIPTS}/mongodb-create-user.js`, {
    USERNAME: init.username,
    DATABASE: home,
    DATABASE_JSON: JSON.stringify(home),
    USER_JSON: JSON.stringify(user, null, 2),
    USER_PASSWORD_ENV: MONGO_INIT_ENV.userPassword,
    ...AUTH_ENV,
  });
}

function checkInit(init: ReplicaSetInit): void {
  if (init.members.length === 0) throw new Error('a replica set needs at least one member');
  if (!Number.isInteger(init.timeoutSeconds) || init.timeoutSeconds < 1) throw new Error(`timeout ${init.timeoutSeconds} is not a positive number of seconds`);
}
