/**
 * What the images we deploy really contain, as typed facts with their sources: the users
 * and numeric ids a pod may run as, the files and directories at the paths we mount, the
 * content a mount must not hide without a seed step, the paths each process writes, the
 * architectures, and the st2.conf the st2 images ship (the first config layer).
 *
 * The pod-runtime checks (`__tests__/policy/pod-runtime.test.ts`) judge every environment's
 * pods against this model the way the kubelet and the container runtime would, and
 * `scripts/check-images.sh` confirms the uncertain facts against the pinned images.
 * Sources are cited as in `shared/reference/st2-images.md`: `[src ...]` was read in the
 * cited lines, `[inf ...]` is inferred (the reason is given).
 */
import { IniDocument } from '../common/ini';

/** How sure a fact is. */
export type Certainty = 'source' | 'inferred';

/** One fact and where it comes from. */
export interface Fact<T> {
  readonly value: T;
  readonly certainty: Certainty;
  /** The file and lines (or reasoning) the fact rests on. */
  readonly source: string;
}

/** An account in the image's /etc/passwd. */
export interface ImageUser {
  readonly name: string;
  /** Numeric UID; absent when no source fixes it (a system user picked at build time). */
  readonly uid?: Fact<number>;
  /** Numeric primary GID. */
  readonly gid?: Fact<number>;
}

/** What a path inside the image is. */
export interface ImagePath {
  readonly type: 'file' | 'directory';
  readonly source: string;
}

/** Image content at a path that a mount there would hide. */
export interface ShippedContent {
  /** What lives there, e.g. the system packs. */
  readonly what: string;
  /** Entries a seed step must copy into a volume mounted there. */
  readonly entries: readonly string[];
  readonly source: string;
}

/** A path a process writes at run time. */
export interface RuntimeWrite {
  readonly path: string;
  /**
   * The processes that write it, matched as a word in the container's name or command.
   * @default every process of the image
   */
  readonly processes?: readonly string[];
  readonly why: string;
  readonly source: string;
}

/** The model of one image (or a family of images built alike). */
export interface ImageModel {
  /** Human name, e.g. `st2 service images`. */
  readonly name: string;
  /** Repository names (the last path segment) the model describes, e.g. `st2api`. */
  readonly repositories: readonly string[];
  /** The Dockerfile's USER: the account a container runs as without a securityContext. */
  readonly defaultUser: string;
  /** Accounts the image is known to have. */
  readonly users: readonly ImageUser[];
  /**
   * The process looks its UID up in /etc/passwd at start (so a UID without an entry
   * crashes it), and whether that is certain.
   */
  readonly needsPasswdEntry: Fact<boolean>;
  /** Paths we mount at or next to, with their type in the image. */
  readonly paths: Readonly<Record<string, ImagePath>>;
  /** VOLUME declarations (a runtime may create them as writable anonymous volumes). */
  readonly volumes: readonly string[];
  /** Content a mount must not hide unless a seed step copies it into the volume. */
  readonly content: Readonly<Record<string, ShippedContent>>;
  /** Paths the image's processes write (they need a writable mount under a read-only root). */
  readonly writes: readonly RuntimeWrite[];
  /** CPU architectures the image is published for. */
  readonly architectures: Fact<readonly string[]>;
}

const DF = 'StackStorm/st2-dockerfiles@69b713e81c';
const PK = 'StackStorm/st2-packages@v3.9 packages/st2';
const ST = 'StackStorm/st2@v3.9.0';

/** The accounts the st2 package creates (preinst), shared by every image built FROM stackstorm/st2. */
const ST2_PACKAGE_USERS: readonly ImageUser[] = [
  {
    name: 'stanley',
    // adduser gives the first regular account the first free ID counting up from 1000,
    // and ubuntu:jammy has no account in 1000-59999; the Helm chart's integration test
    // against the real images asserts uid=1000(stanley) gid=1000(stanley).
    uid: {
      value: 1000,
      certainty: 'inferred',
      source: `${PK} debian/preinst:36-48 (adduser --group stanley; adduser --ingroup stanley stanley); adduser.conf FIRST_UID=1000; stackstorm-k8s tests assert uid=1000(stanley)`,
    },
    gid: { value: 1000, certainty: 'inferred', source: `${PK} debian/preinst:36-48 (adduser --group stanley); adduser.conf FIRST_GID=1000` },
  },
  // `adduser --system` takes the lowest free system ID when the package installs: the same
  // apt run creates other system users first, so no source fixes st2's UID or GID.
  { name: 'st2' },
  { name: 'root', uid: { value: 0, certainty: 'source', source: 'base-passwd' }, gid: { value: 0, certainty: 'source', source: 'base-passwd' } },
];

const ST2_PATHS_IN_IMAGE: Readonly<Record<string, ImagePath>> = {
  '/etc/st2': { type: 'directory', source: `${PK} Makefile:69-95` },
  '/etc/st2/st2.conf': { type: 'file', source: `${PK} Makefile:70` },
  '/etc/st2/st2.docker.conf': { type: 'file', source: `${DF} base/Dockerfile:58-59` },
  '/etc/st2/st2.user.conf': { type: 'file', source: `${DF} base/Dockerfile:58-59` },
  '/etc/st2/htpasswd': { type: 'file', source: `${PK} Makefile:69 (install -m640 /dev/null .../etc/st2/htpasswd)` },
  '/opt/stackstorm': { type: 'directory', source: `${DF} base/Dockerfile:89 (WORKDIR)` },
  '/opt/stackstorm/packs': { type: 'directory', source: `${PK} debian/install:1-5` },
  '/opt/stackstorm/virtualenvs': { type: 'directory', source: `${PK} debian/st2.dirs:4-7` },
  '/opt/stackstorm/configs': { type: 'directory', source: `${PK} debian/st2.dirs:4-7` },
  '/home/stanley': { type: 'directory', source: `${PK} debian/preinst:36-48 (adduser creates the home from /etc/skel)` },
  '/home/stanley/.ssh': { type: 'directory', source: `${DF} st2actionrunner/Dockerfile:14 (VOLUME)` },
  '/tmp': { type: 'directory', source: 'ubuntu:jammy' },
};

/** The system packs the st2 package installs into /opt/stackstorm/packs. */
export const ST2_SHIPPED_PACKS: readonly string[] = ['core', 'packs', 'linux', 'chatops', 'default'];

const ST2_CONTENT: Readonly<Record<string, ShippedContent>> = {
  '/opt/stackstorm/packs': {
    what: 'the system packs (core, packs, linux, chatops) and the default pack',
    entries: ST2_SHIPPED_PACKS,
    source: `${PK} debian/install:1-5; ${ST} st2common/st2common/constants/pack.py:76-81`,
  },
};

/** The st2 (and Mistral) Python programs the images run; init steps of ours are not among them. */
const ST2_PROGRAMS = [
  'st2api',
  'st2auth',
  'st2stream',
  'st2rulesengine',
  'st2timersengine',
  'st2workflowengine',
  'st2scheduler',
  'st2notifier',
  'st2sensorcontainer',
  'st2garbagecollector',
  'st2resultstracker',
  'st2actionrunner',
  'st2-register-content',
  'st2',
  'mistral-server',
  'mistral-api',
  'mistral-db-manage',
];

const TMP_WRITE: RuntimeWrite = {
  path: '/tmp',
  processes: ST2_PROGRAMS,
  why: 'gunicorn worker heartbeats, Python tempfile, the pack-install lock and git worktrees',
  source: `${ST} st2common/st2common/util/pack_management.py:120-124, runners/base.py:326`,
};

/**
 * The st2.conf every st2 image ships, merged at build time from st2.package.conf and the
 * Dockerfile's st2.tmp.conf: the first `--config-file`, so each of its values holds unless
 * a later layer sets the option.
 */
export const ST2_IMAGE_CONF: IniDocument = {
  api: { host: '0.0.0.0', port: 9101 },
  auth: {
    enable: true,
    host: '0.0.0.0',
    port: 9100,
    mode: 'standalone',
    backend: 'flat_file',
    backend_kwargs: '{"file_path": "/etc/st2/htpasswd"}',
    api_url: '',
  },
  stream: { host: '0.0.0.0' },
  messaging: { url: 'amqp://guest:guest@127.0.0.1:5672/', connection_retries: 0, connection_retry_wait: 0 },
  database: { connection_retry_max_delay_m: 0, connection_retry_backoff_max_s: 0 },
  coordination: { url: 'redis://127.0.0.1:6379' },
  system: { base_path: '/opt/stackstorm' },
  system_user: { user: 'stanley', ssh_key_file: '/home/stanley/.ssh/stanley_rsa' },
};

/** Where each value of {@link ST2_IMAGE_CONF} comes from. */
export const ST2_IMAGE_CONF_SOURCE = `${ST} conf/st2.package.conf:3-85; ${DF} base/files/st2.tmp.conf:4-21; merged by crudini at ${DF} base/Dockerfile:72-77`;

/**
 * Image options a deployment must override: their image values point at the container
 * itself or at files we do not provide. Each names the options that replace it (st2 reads
 * `[messaging] cluster_urls` instead of `url` when set).
 */
export const ST2_IMAGE_CONF_MUST_OVERRIDE: readonly { readonly option: string; readonly replacedBy: readonly string[]; readonly why: string }[] = [
  { option: 'coordination.url', replacedBy: ['coordination.url'], why: "redis on 127.0.0.1: st2scheduler fails at start; an empty url is tooz's no-op" },
  { option: 'messaging.url', replacedBy: ['messaging.url', 'messaging.cluster_urls'], why: 'a broker on 127.0.0.1 with the guest account' },
  { option: 'auth.api_url', replacedBy: ['auth.api_url'], why: 'empty: actions and sensors get no ST2_API_URL' },
  { option: 'auth.backend_kwargs', replacedBy: ['auth.backend_kwargs'], why: "the image's empty htpasswd file" },
  { option: 'messaging.connection_retries', replacedBy: ['messaging.connection_retries'], why: '0: a broker restart kills every process at once' },
];

/** The images built FROM stackstorm/st2 that run one st2 Python process each. */
const ST2_SERVICE_REPOSITORIES = [
  'st2api',
  'st2auth',
  'st2stream',
  'st2rulesengine',
  'st2timersengine',
  'st2workflowengine',
  'st2scheduler',
  'st2notifier',
  'st2sensorcontainer',
  'st2garbagecollector',
  'st2resultstracker',
  'mistral',
];

const AMD64_ONLY: Fact<readonly string[]> = {
  value: ['amd64'],
  certainty: 'inferred',
  source: `${DF} every FROM is --platform=linux/amd64; the Makefile has no multi-arch step (Makefile:41-57)`,
};

const st2PasswdLookup: Fact<boolean> = {
  value: true,
  certainty: 'source',
  source: `${ST} st2common/st2common/models/system/action.py:47 (pwd.getpwuid(os.getuid()) at import; st2api loads it through the inquiries controller, runners through local_runner/base.py:47)`,
};

/** What {@link dockerLibraryImage} needs of one Docker official image. */
interface DockerLibraryImage {
  readonly name: string;
  /** The account the image creates for its server: name, the UID and GID it fixes, and where. */
  readonly user: readonly [name: string, id: number, source: string];
  /** Why the server needs no passwd entry for its UID. */
  readonly runsAsAnyUid: string;
  /** Folders by path, with their source. */
  readonly paths: Readonly<Record<string, string>>;
  /** Files by path, with their source. @default none */
  readonly files?: Readonly<Record<string, string>>;
  readonly volumes: readonly string[];
  readonly writes: readonly RuntimeWrite[];
}

/**
 * The model of a Docker official image (docker-library): it starts as root, creates one
 * account with a fixed id for its server, and is published for amd64 and arm64.
 */
function dockerLibraryImage(image: DockerLibraryImage): ImageModel {
  const [userName, id, source] = image.user;
  return {
    name: image.name,
    repositories: [image.name],
    defaultUser: 'root',
    users: [{ name: userName, uid: { value: id, certainty: 'source', source }, gid: { value: id, certainty: 'source', source } }],
    needsPasswdEntry: { value: false, certainty: 'inferred', source: image.runsAsAnyUid },
    paths: {
      ...Object.fromEntries(Object.entries(image.paths).map(([path, from]) => [path, { type: 'directory' as const, source: from }])),
      ...Object.fromEntries(Object.entries(image.files ?? {}).map(([path, from]) => [path, { type: 'file' as const, source: from }])),
    },
    volumes: image.volumes,
    content: {},
    writes: image.writes,
    architectures: { value: ['amd64', 'arm64'], certainty: 'source', source: `docker-library/official-images library/${image.name}` },
  };
}

/** Every image we deploy, by the repository names it covers. */
export const IMAGE_MODELS: readonly ImageModel[] = [
  {
    name: 'st2 service images',
    repositories: ST2_SERVICE_REPOSITORIES,
    defaultUser: 'st2',
    users: ST2_PACKAGE_USERS,
    needsPasswdEntry: st2PasswdLookup,
    paths: ST2_PATHS_IN_IMAGE,
    volumes: ['/etc/st2', '/etc/st2/keys', '/opt/stackstorm/rbac', '/opt/stackstorm/packs', '/opt/stackstorm/virtualenvs'],
    content: ST2_CONTENT,
    writes: [TMP_WRITE],
    architectures: AMD64_ONLY,
  },
  {
    name: 'st2actionrunner',
    repositories: ['st2actionrunner'],
    defaultUser: 'root',
    users: ST2_PACKAGE_USERS,
    needsPasswdEntry: st2PasswdLookup,
    paths: ST2_PATHS_IN_IMAGE,
    volumes: ['/etc/st2', '/home/stanley/.ssh', '/opt/stackstorm/packs', '/opt/stackstorm/virtualenvs'],
    content: ST2_CONTENT,
    writes: [
      TMP_WRITE,
      {
        path: '/home/stanley',
        processes: ['st2actionrunner'],
        why: 'local actions run as `sudo -E -H -u stanley` with HOME=/home/stanley (pip caches, ~/.st2)',
        source: `${ST} st2common/st2common/models/system/action.py:49-58`,
      },
      {
        path: '/opt/stackstorm',
        processes: ['st2actionrunner'],
        why: 'the working directory of actions without a cwd',
        source: `${ST} contrib/runners/local_runner/local_runner/base.py:99,201`,
      },
      {
        path: '/opt/stackstorm/packs',
        processes: ['st2actionrunner'],
        why: 'pack installs, and chmod +x of action scripts',
        source: `${ST} contrib/runners/local_runner/local_runner/base.py:118-128`,
      },
      { path: '/opt/stackstorm/virtualenvs', processes: ['st2actionrunner'], why: 'pack virtualenvs', source: `${ST} st2common/st2common/util/virtualenvs.py` },
      {
        path: '/var/spool',
        processes: ['st2actionrunner'],
        why: 'core.sendmail runs sendmail -t, which spools there',
        source: `${ST} contrib/core/actions/send_mail/send_mail:10-23 [inf: sendmail's client queue]`,
      },
    ],
    architectures: AMD64_ONLY,
  },
  {
    name: 'st2web',
    repositories: ['st2web'],
    defaultUser: 'root',
    users: [
      { name: 'root', uid: { value: 0, certainty: 'source', source: 'base-passwd' }, gid: { value: 0, certainty: 'source', source: 'base-passwd' } },
      { name: 'nginx' },
    ],
    needsPasswdEntry: { value: false, certainty: 'inferred', source: 'the nginx master runs as root and switches workers to `nginx` by name' },
    paths: {
      '/etc/nginx/conf.d': { type: 'directory', source: `${DF} st2web/Dockerfile:87` },
      '/etc/ssl/st2': { type: 'directory', source: `${DF} st2web/Dockerfile:82` },
    },
    volumes: ['/etc/ssl/st2/'],
    content: {},
    writes: [
      { path: '/etc/nginx/conf.d', why: 'the start command renders st2.conf from its template', source: `${DF} st2web/Dockerfile:87` },
      { path: '/var/cache/nginx', why: 'nginx temp files', source: 'nginx/pkg-oss debian/Makefile:62-70' },
      { path: '/run', why: 'nginx.pid', source: 'nginx/pkg-oss debian/debian/nginx.conf:5-6' },
    ],
    architectures: AMD64_ONLY,
  },
  {
    name: 'st2chatops',
    repositories: ['st2chatops'],
    defaultUser: 'st2',
    // The chatops package creates its own system `st2` (ID picked at build time) and no stanley.
    users: [{ name: 'st2' }],
    needsPasswdEntry: { value: false, certainty: 'inferred', source: 'hubot is Node.js; nothing on its start path calls getpwuid (os.userInfo)' },
    paths: { '/opt/stackstorm/chatops': { type: 'directory', source: `${DF} st2chatops/Dockerfile:59 (WORKDIR)` } },
    volumes: [],
    content: {},
    writes: [{ path: '/opt/stackstorm/chatops', why: "hubot's brain and npm caches beside the bot", source: `${DF} st2chatops/Dockerfile:59 [inf]` }],
    architectures: AMD64_ONLY,
  },
  dockerLibraryImage({
    name: 'mongo',
    user: ['mongodb', 999, 'docker-library/mongo Dockerfile (groupadd --gid 999 --system mongodb; useradd --uid 999)'],
    runsAsAnyUid: 'mongod runs under any UID',
    paths: { '/data/db': 'docker-library/mongo Dockerfile (VOLUME /data/db /data/configdb)' },
    volumes: ['/data/db', '/data/configdb'],
    writes: [
      { path: '/data/db', processes: ['mongod'], why: 'the database', source: 'docker-library/mongo Dockerfile' },
      { path: '/tmp', processes: ['mongod'], why: "mongod's Unix socket", source: 'mongod --unixSocketPrefix default /tmp' },
    ],
  }),
  dockerLibraryImage({
    name: 'rabbitmq',
    user: ['rabbitmq', 999, 'docker-library/rabbitmq Dockerfile (groupadd --gid 999 --system rabbitmq; useradd --uid 999)'],
    runsAsAnyUid: 'the Erlang VM runs under any UID with HOME set',
    paths: { '/var/lib/rabbitmq': 'docker-library/rabbitmq Dockerfile (VOLUME)', '/etc/rabbitmq': 'docker-library/rabbitmq Dockerfile' },
    volumes: ['/var/lib/rabbitmq'],
    writes: [
      { path: '/var/lib/rabbitmq', processes: ['rabbitmq-server'], why: 'mnesia and the Erlang cookie', source: 'docker-library/rabbitmq Dockerfile' },
      { path: '/var/log/rabbitmq', processes: ['rabbitmq-server'], why: 'crash logs', source: 'docker-library/rabbitmq Dockerfile' },
      { path: '/tmp', processes: ['rabbitmq-server'], why: 'the Erlang VM', source: '[inf]' },
    ],
  }),
  dockerLibraryImage({
    name: 'redis',
    user: ['redis', 999, 'docker-library/redis Dockerfile (groupadd -r -g 999 redis; useradd -r -g redis -u 999 redis)'],
    runsAsAnyUid: 'redis-server runs under any UID',
    paths: { '/data': 'docker-library/redis Dockerfile (VOLUME /data, WORKDIR /data)' },
    volumes: ['/data'],
    writes: [{ path: '/data', processes: ['redis'], why: 'RDB/AOF files', source: 'docker-library/redis Dockerfile' }],
  }),
  dockerLibraryImage({
    name: 'zookeeper',
    user: ['zookeeper', 1000, '31z4/zookeeper-docker Dockerfile (groupadd -r --gid=1000 zookeeper; useradd -r --gid=zookeeper --uid=1000 zookeeper)'],
    runsAsAnyUid: 'the JVM runs under any UID',
    paths: { '/data': '31z4/zookeeper-docker Dockerfile (VOLUME /data /datalog /logs)', '/conf': '31z4/zookeeper-docker Dockerfile' },
    files: { '/conf/zoo.cfg': '31z4/zookeeper-docker docker-entrypoint.sh writes it when absent' },
    volumes: ['/data', '/datalog', '/logs'],
    writes: [
      { path: '/data', processes: ['zkServer.sh'], why: 'snapshots and myid', source: '31z4/zookeeper-docker Dockerfile' },
      { path: '/logs', processes: ['zkServer.sh'], why: 'ZOO_LOG_DIR', source: '31z4/zookeeper-docker Dockerfile' },
      { path: '/tmp', processes: ['zkServer.sh'], why: 'JVM perf data', source: '[inf]' },
    ],
  }),
  dockerLibraryImage({
    name: 'postgres',
    user: ['postgres', 999, 'docker-library/postgres Dockerfile (groupadd -r postgres --gid=999; useradd -r -g postgres --uid=999)'],
    runsAsAnyUid: 'the entrypoint handles a UID without an entry (nss_wrapper)',
    paths: { '/var/lib/postgresql/data': 'docker-library/postgres Dockerfile (VOLUME)' },
    volumes: ['/var/lib/postgresql/data'],
    writes: [
      { path: '/var/lib/postgresql/data', processes: ['postgresql'], why: 'the cluster', source: 'docker-library/postgres Dockerfile' },
      { path: '/var/run/postgresql', processes: ['postgresql'], why: 'the Unix socket', source: 'docker-library/postgres Dockerfile' },
    ],
  }),
  {
    name: 'nginx-unprivileged',
    repositories: ['nginx-unprivileged'],
    defaultUser: '101',
    users: [
      {
        name: 'nginx',
        uid: { value: 101, certainty: 'source', source: 'nginxinc/docker-nginx-unprivileged Dockerfile (UID=101, USER $UID)' },
        gid: { value: 101, certainty: 'source', source: 'nginxinc/docker-nginx-unprivileged Dockerfile (GID=101)' },
      },
    ],
    needsPasswdEntry: { value: false, certainty: 'inferred', source: 'nginx runs as its current UID when not started as root' },
    paths: { '/etc/nginx': { type: 'directory', source: 'nginxinc/docker-nginx-unprivileged Dockerfile' } },
    volumes: [],
    content: {},
    writes: [
      {
        path: '/tmp',
        processes: ['nginx'],
        why: 'nginx.pid and the proxy temp paths (the unprivileged image moves them to /tmp)',
        source: 'nginxinc/docker-nginx-unprivileged Dockerfile (sed of pid and *_temp_path)',
      },
    ],
    architectures: { value: ['amd64', 'arm64'], certainty: 'source', source: 'nginxinc/docker-nginx-unprivileged multi-arch build' },
  },
];

/** The repository name of an image reference: `docker.io/stackstorm/st2api:3.9.0@sha256:...` gives `st2api`. */
export function repositoryName(image: string): string {
  const withoutDigest = image.split('@')[0];
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  return lastSegment.split(':')[0];
}

/** The model of an image reference, or undefined for an image we do not deploy. */
export function imageModelOf(image: string): ImageModel | undefined {
  const repository = repositoryName(image);
  return IMAGE_MODELS.find((model) => model.repositories.includes(repository));
}

/** The account of `uid` in a model, when the model knows it. */
export function userWithUid(model: ImageModel, uid: number): ImageUser | undefined {
  return model.users.find((user) => user.uid?.value === uid);
}

/** The `stanley` account of the st2 images: the UID actions run as and our st2 pods run as by default. */
export const ST2_STANLEY = ST2_PACKAGE_USERS[0];

/**
 * The numeric user and group of an image's own server account (e.g. `mongodb` in `mongo`),
 * as the model records them: the pods of our datastores and edge run as these.
 */
export function serverAccountOf(repository: string): { readonly user: number; readonly group: number } {
  const model = IMAGE_MODELS.find((candidate) => candidate.repositories.includes(repository));
  const account = model?.users.find((user) => user.uid && user.gid && user.uid.value !== 0);
  if (!account) throw new Error(`the image model knows no numeric server account of ${repository}`);
  return { user: account.uid!.value, group: account.gid!.value };
}
