/**
 * Real RabbitMQ (Debian's rabbitmq-server 3.10, classic mirroring supported) reading
 * rabbitmq.conf, enabled_plugins and the definitions exactly as synthesized into dist/ha,
 * with st2's password hash filled in by the synthesized render script. Only these change:
 * Kubernetes peer discovery becomes classic_config listing the local nodes (the k8s backend
 * needs a pod's API token), the AMQP listener moves to a loopback port per node, and the
 * definitions path points at the rendered file.
 *
 * Three nodes on 127.0.0.1 with distinct ports, their own epmd on a private port, and a
 * private Erlang cookie; every process is stopped by PID in afterAll.
 */
import { ChildProcess, execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { pollFor, waitUntil } from '../support/wait';
import { parse } from 'yaml';
import { endTrackedChildren, spawnTracked } from '../support/children';
const amqp = require('amqplib');

const DIST_CONFIGMAP = path.join(__dirname, '..', '..', 'dist', 'ha', 'ConfigMap.rabbitmq-config.k8s.yaml');
const BIN = '/usr/lib/rabbitmq/bin';
const EPMD_PORT = 43690;
const NODES = [1, 2, 3].map((i) => ({
  index: i,
  name: `rabbit${i}@localhost`,
  amqpPort: 35671 + i,
  distPort: 35681 + i,
}));
const PASSWORD = 'st2 test pw #&/+ ü';
const N = 1000;

type Node = (typeof NODES)[number] & { dir: string; conf: string; pidFile: string; wrapper?: ChildProcess; output: string[] };

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rabbitmq-test-'));
const nodes: Node[] = NODES.map((n) => ({
  ...n,
  dir: path.join(work, `node${n.index}`),
  conf: path.join(work, `node${n.index}`, 'rabbitmq.conf'),
  pidFile: path.join(work, `node${n.index}`, 'rabbit.pid'),
  output: [],
}));
let epmd: ChildProcess | undefined;
const connections: any[] = [];
const t0 = Date.now();
const timings: Record<string, number> = {};
const mark = (what: string, since: number) => {
  timings[what] = Date.now() - since;
};

const files = (parse(fs.readFileSync(DIST_CONFIGMAP, 'utf8')) as { data: Record<string, string> }).data;

/** The only edits to the synthesized rabbitmq.conf; each line must be there exactly once. */
function testConf(node: Node, peers: readonly Node[], definitions: string): string {
  let conf = files['rabbitmq.conf'];
  const replace = (line: RegExp, replacement: string) => {
    const matches = conf.match(new RegExp(line.source, 'gm'));
    if (!matches || matches.length !== 1) throw new Error(`expected one line matching ${line} in the synthesized rabbitmq.conf`);
    conf = conf.replace(new RegExp(line.source, 'm'), replacement);
  };
  replace(
    /^cluster_formation\.peer_discovery_backend = rabbit_peer_discovery_k8s$/,
    [
      'cluster_formation.peer_discovery_backend = classic_config',
      ...peers.map((peer, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${peer.name}`),
    ].join('\n'),
  );
  conf = conf
    .split('\n')
    .filter((line) => !line.startsWith('cluster_formation.k8s.'))
    .join('\n');
  replace(/^listeners\.tcp\.default = 5672$/, `listeners.tcp.default = 127.0.0.1:${node.amqpPort}`);
  replace(/^load_definitions = \/etc\/rabbitmq-definitions\/definitions\.json$/, `load_definitions = ${definitions}`);
  return conf;
}

function baseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: path.join(work, 'home'),
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(EPMD_PORT),
    RABBITMQ_CONF_ENV_FILE: path.join(work, 'rabbitmq-env.conf'),
  };
}

function nodeEnv(node: Node): NodeJS.ProcessEnv {
  return {
    ...baseEnv(),
    RABBITMQ_NODENAME: node.name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(node.amqpPort),
    RABBITMQ_DIST_PORT: String(node.distPort),
    RABBITMQ_MNESIA_BASE: path.join(node.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(node.dir, 'log'),
    RABBITMQ_CONFIG_FILE: node.conf,
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(work, 'enabled_plugins'),
    RABBITMQ_PID_FILE: node.pidFile,
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function startNode(node: Node): void {
  fs.mkdirSync(path.join(node.dir, 'log'), { recursive: true });
  const child = spawnTracked(`${BIN}/rabbitmq-server`, [], { env: nodeEnv(node), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => node.output.push(String(chunk)));
  child.stderr!.on('data', (chunk) => node.output.push(String(chunk)));
  node.wrapper = child;
}

/** Waits for the AMQP port; boot failures exit 0, so the output is checked too. */
async function awaitNode(node: Node, ms = 60000): Promise<void> {
  await waitUntil(`${node.name} to accept AMQP`, ms, async () => {
    const output = node.output.join('');
    if (/BOOT FAILED/.test(output) || node.wrapper?.exitCode !== null) {
      throw new Error(`${node.name} did not boot:\n${output.slice(-4000)}`);
    }
    return portOpen(node.amqpPort);
  });
}

function ctl(node: Node, args: readonly string[], timeoutMs = 30000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(`${BIN}/rabbitmqctl`, ['-n', node.name, ...args], { env: baseEnv(), timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`rabbitmqctl ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function connect(node: Node, password = PASSWORD): Promise<any> {
  const connection = await amqp.connect({
    protocol: 'amqp',
    hostname: '127.0.0.1',
    port: node.amqpPort,
    username: 'st2',
    password,
    vhost: '/',
    heartbeat: 0,
  });
  connection.on('error', () => undefined);
  connections.push(connection);
  return connection;
}

function vmPid(node: Node): number | undefined {
  try {
    return Number(fs.readFileSync(node.pidFile, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

function kill(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/** Per queue: policy, master node, mirror count, synchronised mirror count. */
async function queueInfo(node: Node): Promise<Record<string, { policy: string; master: string; mirrors: number; synced: number }>> {
  // The text output names each pid's node (`<rabbit2@localhost.1.2.0>`); JSON does not.
  const out = await ctl(node, ['list_queues', '-q', '--no-table-headers', 'name', 'policy', 'pid', 'slave_pids', 'synchronised_slave_pids']);
  const pids = (field: string) => field.match(/<[^>]+>/g) ?? [];
  return Object.fromEntries(
    out
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => {
        const [name, policy, pid, mirrors, synced] = line.split('\t');
        return [name, { policy, master: /<([^.]+@[^.]+)\./.exec(pid)?.[1] ?? pid, mirrors: pids(mirrors).length, synced: pids(synced).length }];
      }),
  );
}

beforeAll(async () => {
  const installed = spawnSync('dpkg', ['-s', 'rabbitmq-server'], { encoding: 'utf8' });
  if (!/Status: install ok installed/.test(installed.stdout)) throw new Error('rabbitmq-server is not installed: run __tests__/servers/install.sh');

  fs.mkdirSync(path.join(work, 'home'), { recursive: true });
  // What the init container does with the Secret's erlang-cookie key.
  fs.writeFileSync(path.join(work, 'home', '.erlang.cookie'), `test-cookie-${process.pid}-${Date.now()}`, { mode: 0o400 });
  fs.writeFileSync(path.join(work, 'rabbitmq-env.conf'), '');
  fs.writeFileSync(path.join(work, 'enabled_plugins'), files['enabled_plugins']);
  fs.writeFileSync(path.join(work, 'definitions.template.json'), files['definitions.template.json']);
  fs.writeFileSync(path.join(work, 'render-definitions.sh'), files['render-definitions.sh']);

  // The synthesized init step: password from the env, hash into the definitions.
  const definitions = path.join(work, 'definitions.json');
  const rendered = spawnSync('sh', [path.join(work, 'render-definitions.sh'), path.join(work, 'definitions.template.json'), definitions], {
    env: { PATH: process.env.PATH, RABBITMQ_ST2_PASSWORD: PASSWORD },
    encoding: 'utf8',
    timeout: 10000,
  });
  if (rendered.status !== 0) throw new Error(`render-definitions.sh failed: ${rendered.stderr}`);

  let started = Date.now();
  epmd = spawnTracked('epmd', ['-address', '127.0.0.1', '-port', String(EPMD_PORT)], { env: baseEnv(), stdio: 'ignore' });
  await waitUntil('epmd', 15000, () => portOpen(EPMD_PORT), 50);

  // Node 1 alone first (naming only itself), then 2 and 3 join it: starting all three at
  // once can form two clusters.
  fs.mkdirSync(nodes[0].dir, { recursive: true });
  fs.writeFileSync(nodes[0].conf, testConf(nodes[0], [nodes[0]], definitions));
  startNode(nodes[0]);
  await awaitNode(nodes[0]);
  mark('node 1 boot ms', started);
  started = Date.now();
  for (const node of nodes.slice(1)) {
    fs.mkdirSync(node.dir, { recursive: true });
    fs.writeFileSync(node.conf, testConf(node, nodes, definitions));
    startNode(node);
  }
  await Promise.all(nodes.slice(1).map((node) => awaitNode(node)));
  // Joins take ~12 s here, over 30 s on a busy machine (a CI run timed out at 30 s); the
  // last status is in the error if they never happen.
  let running: string[] = [];
  await pollFor(
    '3 running nodes',
    90000,
    async () => {
      const status = JSON.parse(await ctl(nodes[0], ['cluster_status', '--formatter', 'json']));
      running = status.running_nodes ?? [];
      return running.length === 3 || undefined;
    },
    1000,
    () => `running nodes seen last: ${JSON.stringify(running)}`,
  );
  mark('nodes 2+3 join ms', started);
}, 150000);

afterAll(async () => {
  for (const connection of connections) await connection.close().catch(() => undefined);
  for (const node of nodes) kill(vmPid(node));
  // The wrapper shell reaps its VM and then exits; it is killed only if it lingers.
  await Promise.all(
    nodes.map((node) =>
      node.wrapper && node.wrapper.exitCode === null && node.wrapper.signalCode === null
        ? Promise.race([new Promise((resolve) => node.wrapper!.once('exit', resolve)), sleep(5000)])
        : undefined,
    ),
  );
  for (const node of nodes) if (node.wrapper?.exitCode === null && node.wrapper.signalCode === null) kill(node.wrapper.pid);
  kill(epmd?.pid);
  await sleep(200);
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`rabbitmq real-server timings (ms): ${JSON.stringify({ ...timings, total: Date.now() - t0 })}`);
}, 30000);

describe('RabbitMQ with the synthesized rabbitmq.conf and definitions', () => {
  test('the ConfigMap holds no password, only the placeholder the init step fills', () => {
    expect(files['definitions.template.json']).toContain('@ST2_PASSWORD_HASH@');
    const rendered = fs.readFileSync(path.join(work, 'definitions.json'), 'utf8');
    expect(rendered).not.toContain('@ST2_PASSWORD_HASH@');
    expect(rendered).not.toContain(PASSWORD);
  });

  test("st2 logs in with the Secret's password (and with nothing else); no guest user exists", async () => {
    const connection = await connect(nodes[1]);
    expect(connection).toBeDefined();
    await expect(connect(nodes[1], 'wrong')).rejects.toThrow(/ACCESS_REFUSED|403/);
    const users = JSON.parse(await ctl(nodes[0], ['list_users', '-q', '--formatter', 'json'])) as { user: string }[];
    expect(users.map((u) => u.user)).toEqual(['st2']);
    const partition = await ctl(nodes[0], ['environment']);
    expect(partition).toMatch(/cluster_partition_handling,\s*pause_minority/);
  });

  test('the mirroring policy applies to every queue st2 and Mistral declare', async () => {
    const started = Date.now();
    const durable = [
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
      'mistral_engine',
      'mistral_executor',
    ];
    const transient = ['st2.trigger.watch.TimersController-5f0c2a', 'st2.sensor.watch.sensor_container-9a1b3c', 'reply_0f9e8d7c'];
    const connection = await connect(nodes[0]);
    const channel = await connection.createChannel();
    for (const name of durable) await channel.assertQueue(name, { durable: true });
    for (const name of transient) await channel.assertQueue(name, { durable: false, autoDelete: true });
    let info: Awaited<ReturnType<typeof queueInfo>> = {};
    await waitUntil(
      'mirrors of every durable queue',
      20000,
      async () => {
        info = await queueInfo(nodes[0]);
        return durable.every((name) => info[name]?.synced === 2);
      },
      1000,
    );
    for (const name of [...durable, ...transient]) expect([name, info[name]?.policy]).toEqual([name, 'st2-mirror-all-queues']);
    for (const name of durable) expect([name, info[name].mirrors, info[name].synced]).toEqual([name, 2, 2]);
    const policies = JSON.parse(await ctl(nodes[0], ['list_policies', '-q', '--formatter', 'json'])) as any[];
    expect(policies).toHaveLength(1);
    expect(JSON.parse(typeof policies[0].definition === 'string' ? policies[0].definition : JSON.stringify(policies[0].definition))).toEqual({
      'ha-mode': 'all',
      'ha-sync-mode': 'automatic',
    });
    await channel.close();
    mark('policy check ms', started);
  }, 60000);

  test(`SIGKILL of the node hosting a mirrored queue loses none of ${N} persistent messages`, async () => {
    const queue = 'st2.actionrunner.work';
    const declarer = await connect(nodes[0]);
    await (await declarer.createChannel()).assertQueue(queue, { durable: true });
    let before: Awaited<ReturnType<typeof queueInfo>> = {};
    await waitUntil(
      `${queue} mirrored on both other nodes`,
      20000,
      async () => {
        before = await queueInfo(nodes[0]);
        return before[queue]?.synced === 2;
      },
      1000,
    );
    const master = nodes.find((n) => n.name === before[queue].master)!;
    if (!master) throw new Error(`cannot tell the master of ${queue}: ${JSON.stringify(before[queue])}`);
    const survivor = nodes.find((n) => n !== master)!;

    let started = Date.now();
    const publisher = await connect(master);
    const channel = await publisher.createConfirmChannel();
    await channel.purgeQueue(queue);
    for (let i = 0; i < N; i++) channel.sendToQueue(queue, Buffer.from(`message-${i}`), { persistent: true });
    await channel.waitForConfirms();
    await publisher.close();
    connections.splice(connections.indexOf(publisher), 1);
    mark(`publish ${N} confirmed ms`, started);
    await waitUntil('both mirrors synchronised', 20000, async () => (await queueInfo(survivor))[queue].synced === 2, 500);

    const pid = vmPid(master);
    expect(pid).toBeGreaterThan(1);
    // The Erlang VM itself, not the shell wrapper that started it.
    expect(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('beam.smp');
    started = Date.now();
    kill(pid, 'SIGKILL');
    await waitUntil(
      'the killed VM to be gone',
      5000,
      () => !fs.existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')),
      20,
    );
    await waitUntil(
      `${queue} served by a survivor with all ${N} messages`,
      30000,
      async () => {
        const consumer = await connect(survivor).catch(() => undefined);
        if (!consumer) return false;
        try {
          const ch = await consumer.createChannel();
          const { messageCount } = await ch.checkQueue(queue);
          await ch.close();
          return messageCount === N;
        } catch {
          return false;
        } finally {
          await consumer.close().catch(() => undefined);
          connections.splice(connections.indexOf(consumer), 1);
        }
      },
      250,
    );
    mark('kill -> survivor holds all ms', started);

    started = Date.now();
    const consumer = await connect(survivor);
    const ch = await consumer.createChannel();
    await ch.prefetch(200);
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed only ${seen.size} of ${N} in 30 s`)), 30000);
      ch.consume(queue, (message: any) => {
        seen.add(message.content.toString());
        ch.ack(message);
        if (seen.size === N) {
          clearTimeout(timer);
          resolve();
        }
      }).catch(reject);
    });
    mark(`consume ${N} ms`, started);
    expect(seen.size).toBe(N);
    for (let i = 0; i < N; i += 97) expect(seen.has(`message-${i}`)).toBe(true);
    const after = await queueInfo(survivor);
    expect(after[queue].master).not.toBe(master.name);
  }, 90000);
});

endTrackedChildren();
