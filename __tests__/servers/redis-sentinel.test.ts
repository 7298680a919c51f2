/**
 * Real Redis 7.0 + Sentinel (Debian's redis-server) run from the files synthesized into
 * dist/ha/ConfigMap.redis-config.k8s.yaml. The only change: `bind * -::*` becomes the
 * member's loopback address (127.0.10.N+1). Member DNS names stay as they are: every server
 * and the bootstrap script run under `unshare --mount` with /etc/hosts bind-mounted to map
 * those names to the loopback addresses, so announce values are the real ones.
 */
import { ChildProcess, execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { waitUntil } from '../support/wait';
import { parse } from 'yaml';
import { endTrackedChildren, spawnTracked } from '../support/children';

const DIST_CONFIGMAP = path.join(__dirname, '..', '..', 'dist', 'ha', 'ConfigMap.redis-config.k8s.yaml');
const MEMBERS = 3;
const ip = (ordinal: number) => `127.0.10.${ordinal + 1}`;

const data: Record<string, string> = parse(fs.readFileSync(DIST_CONFIGMAP, 'utf8')).data;
const hosts = Array.from({ length: MEMBERS }, (_, i) => /^replica-announce-ip (\S+)$/m.exec(data[`redis-${i}.conf`])![1]);
const masterName = /^sentinel monitor (\S+) /m.exec(data['sentinel-0.conf'])![1];
const downAfter = Number(/^sentinel down-after-milliseconds \S+ (\d+)$/m.exec(data['sentinel-0.conf'])![1]);
const failoverTimeout = Number(/^sentinel failover-timeout \S+ (\d+)$/m.exec(data['sentinel-0.conf'])![1]);

let work: string;
let hostsFile: string;
const processes: { name: string; child: ChildProcess }[] = [];
const started = Date.now();
const log = (message: string) => console.log(`[redis-sentinel +${((Date.now() - started) / 1000).toFixed(2)}s] ${message}`);

/** Runs `command` in a private mount namespace whose /etc/hosts maps the member names. */
function wrap(command: string): string[] {
  return ['--mount', 'sh', '-c', `mount --bind ${hostsFile} /etc/hosts && ${command}`];
}

function startServer(name: string, cwd: string, command: string): ChildProcess {
  const out = fs.openSync(path.join(work, `${name}.log`), 'a');
  // unshare and sh both exec, so the child's PID is the server's.
  const child = spawnTracked('unshare', wrap(`exec ${command}`), { cwd, stdio: ['ignore', out, out] });
  processes.push({ name, child });
  return child;
}

/** The running redis-server of member `ordinal` (the latest one started). */
function redisOf(ordinal: number): ChildProcess {
  const found = processes.filter(({ name, child }) => name.startsWith(`redis-${ordinal}`) && child.exitCode === null && child.signalCode === null).pop();
  if (!found)
    throw new Error(
      `redis-${ordinal} is not running (started: ${processes.map(({ name, child }) => `${name}:${child.exitCode ?? child.signalCode ?? 'up'}`).join(', ')})`,
    );
  return found.child;
}

const exited = (child: ChildProcess) =>
  new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));

/** The master the sentinels agree on, as an ordinal. */
function agreedMaster(): number | undefined {
  const named = [0, 1, 2].map((i) => masterAddress(i)?.[0]);
  return named.every((host) => host === named[0]) && named[0] ? hosts.indexOf(named[0]) : undefined;
}

function bootstrap(ordinal: number): string {
  const live = path.join(work, `live-${ordinal}`);
  fs.mkdirSync(live, { recursive: true });
  const result = spawnSync('unshare', wrap(`exec sh ${path.join(work, 'config', 'bootstrap.sh')} ${path.join(work, 'config')} ${live}`), {
    env: { ...process.env, HOSTNAME: `redis-${ordinal}` },
    encoding: 'utf8',
    timeout: 60000,
  });
  if (result.status !== 0) throw new Error(`bootstrap redis-${ordinal} failed: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

function cli(address: string, port: number, ...args: string[]): string {
  try {
    return execFileSync('timeout', ['3', 'redis-cli', '-h', address, '-p', String(port), '--raw', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch {
    return '';
  }
}

/** `SENTINEL MASTER` as a field map (the raw reply alternates names and values). */
function sentinelMaster(ordinal: number): Record<string, string> {
  const lines = cli(ip(ordinal), 26379, 'SENTINEL', 'MASTER', masterName).split('\n');
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) fields[lines[i]] = lines[i + 1];
  return fields;
}

/** What tooz does: ask a sentinel where the master is. */
function masterAddress(ordinal: number): [string, number] | undefined {
  const [host, port] = cli(ip(ordinal), 26379, 'SENTINEL', 'get-master-addr-by-name', masterName).trim().split('\n');
  return host && port ? [host, Number(port)] : undefined;
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-sentinel-'));
  hostsFile = path.join(work, 'hosts');
  fs.writeFileSync(hostsFile, `127.0.0.1 localhost\n${hosts.map((host, i) => `${ip(i)} ${host}`).join('\n')}\n`);
  fs.mkdirSync(path.join(work, 'config'));
  for (const [key, text] of Object.entries(data)) {
    const member = /-(\d+)\.conf$/.exec(key);
    let content = text;
    if (member) {
      expect(text.match(/^bind .*$/gm)).toEqual(['bind * -::*']);
      content = text.replace(/^bind .*$/m, `bind ${ip(Number(member[1]))}`);
    }
    fs.writeFileSync(path.join(work, 'config', key), content);
  }
});

afterAll(async () => {
  for (const { child } of processes) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await Promise.all(
    processes.map(({ child }) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => child.once('exit', resolve)))),
  );
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the set forms from the dist files; a SIGKILLed master is replaced and a restarted pod rejoins as replica', async () => {
  expect(hosts[0]).toMatch(/^redis-0\.redis-headless\./);

  // Fresh start: no sentinel answers, so the bootstrap keeps member 0 as master.
  for (let i = 0; i < MEMBERS; i++) {
    expect(bootstrap(i)).toContain('no sentinel answered');
    const redisConf = fs.readFileSync(path.join(work, `live-${i}`, 'redis.conf'), 'utf8');
    expect(redisConf.includes(`replicaof ${hosts[0]} 6379`)).toBe(i !== 0);
  }
  log('bootstrapped 3 members (no sentinel answered: member 0 is master)');

  const redis: ChildProcess[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const dataDir = path.join(work, `data-${i}`);
    fs.mkdirSync(dataDir);
    redis.push(startServer(`redis-${i}`, dataDir, `redis-server ${path.join(work, `live-${i}`, 'redis.conf')}`));
    startServer(`sentinel-${i}`, path.join(work, `live-${i}`), `redis-server ${path.join(work, `live-${i}`, 'sentinel.conf')} --sentinel`);
  }
  const formed = await waitUntil('3 sentinels seeing 2 replicas and 2 other sentinels', 30000, () =>
    [0, 1, 2].every((i) => {
      const master = sentinelMaster(i);
      return master['num-other-sentinels'] === '2' && master['num-slaves'] === '2';
    }),
  );
  log(`set formed in ${formed} ms`);
  expect(masterAddress(1)).toEqual([hosts[0], 6379]);
  // The sentinels announce hostnames, so they know each other by name too.
  expect(cli(ip(0), 26379, 'SENTINEL', 'SENTINELS', masterName)).toContain(hosts[1]);
  expect(cli(ip(0), 6379, 'SET', 'tooz-probe', 'before-failover')).toContain('OK');

  const bound = downAfter + failoverTimeout + 5000;
  const killedAt = Date.now();
  redis[0].kill('SIGKILL');
  let promoted: [string, number] | undefined;
  const failover = await waitUntil(`a new master within ${bound} ms`, bound, () => {
    promoted = masterAddress(1);
    return !!promoted && promoted[0] !== hosts[0];
  });
  log(
    `master SIGKILLed; sentinels name ${promoted![0]} after ${failover} ms (bound ${bound} ms: down-after ${downAfter} + failover-timeout ${failoverTimeout} + 5000)`,
  );
  expect(failover).toBeLessThan(bound);
  const newOrdinal = hosts.indexOf(promoted![0]);
  expect([1, 2]).toContain(newOrdinal);
  expect(promoted![1]).toBe(6379);
  // tooz asks its first sentinel (member 0's, still running) and gets the same answer.
  await waitUntil('every sentinel to agree', 10000, () => [0, 1, 2].every((i) => masterAddress(i)?.[0] === promoted![0]));
  expect(cli(ip(newOrdinal), 6379, 'INFO', 'replication')).toMatch(/^role:master/m);
  expect(cli(ip(newOrdinal), 6379, 'GET', 'tooz-probe').trim()).toBe('before-failover');
  expect(cli(ip(newOrdinal), 6379, 'SET', 'tooz-probe', 'after-failover')).toContain('OK');
  log(`total from SIGKILL to a writable new master: ${Date.now() - killedAt} ms`);

  // The pod of the old master restarts: its bootstrap must follow the sentinels, not assume pod 0.
  const output = bootstrap(0);
  expect(output).toContain(`names ${promoted![0]} as master`);
  expect(fs.readFileSync(path.join(work, 'live-0', 'redis.conf'), 'utf8')).toContain(`replicaof ${promoted![0]} 6379`);
  expect(fs.readFileSync(path.join(work, 'live-0', 'sentinel.conf'), 'utf8')).toMatch(
    new RegExp(`^sentinel monitor ${masterName} ${promoted![0].replace(/\./g, '\\.')} 6379 2$`, 'm'),
  );
  startServer('redis-0-restarted', path.join(work, 'data-0'), `redis-server ${path.join(work, 'live-0', 'redis.conf')}`);
  const rejoined = await waitUntil('the restarted member to replicate from the new master', 30000, () =>
    /^master_link_status:up$/m.test(cli(ip(0), 6379, 'INFO', 'replication')),
  );
  expect(cli(ip(0), 6379, 'GET', 'tooz-probe').trim()).toBe('after-failover');
  log(`restarted member 0 replicates from ${promoted![0]} after ${rejoined} ms`);
});

test('a routine restart of the master (preStop, SIGTERM) hands over: the lock survives and has one holder; a crashed master waits for the promotion instead of coming back empty', async () => {
  const first = agreedMaster()!;
  expect(first).toBeDefined();
  // What tooz does for a lock: SET NX with an expiry; a second member is refused it.
  expect(cli(ip(first), 6379, 'SET', 'st2-lock', 'holder-a', 'NX', 'PX', '120000')).toContain('OK');
  expect(cli(ip(first), 6379, 'SET', 'st2-lock', 'holder-b', 'NX', 'PX', '120000').trim()).toBe('');
  await waitUntil('the lock to reach both replicas', 10000, () => [0, 1, 2].every((i) => cli(ip(i), 6379, 'GET', 'st2-lock').trim() === 'holder-a'));

  // The kubelet runs the preStop hook, then sends SIGTERM.
  const handoverStarted = Date.now();
  const prestop = spawnSync('unshare', wrap(`exec sh ${path.join(work, 'config', 'prestop.sh')} ${path.join(work, `live-${first}`)}`), {
    encoding: 'utf8',
    timeout: 60000,
  });
  const handover = Date.now() - handoverStarted;
  expect([prestop.status, prestop.stderr]).toEqual([0, '']);
  expect(prestop.stdout).toMatch(/started a failover away from/);
  expect(prestop.stdout).toMatch(/names \S+ as master; \S+ can stop/);
  const second = agreedMaster()!;
  expect(second).not.toBe(first);
  log(`preStop of master redis-${first}: redis-${second} named master after ${handover} ms`);
  const stopping = redisOf(first);
  stopping.kill('SIGTERM');
  await exited(stopping);
  // The restarted pod is a replica from the start: nothing waits, nothing resyncs from empty.
  const restarted = bootstrap(first);
  expect(restarted).toContain(`names ${hosts[second]} as master`);
  expect(restarted).not.toContain('waiting');
  startServer(`redis-${first}-after-prestop`, path.join(work, `data-${first}`), `redis-server ${path.join(work, `live-${first}`, 'redis.conf')}`);
  await waitUntil('the restarted member to replicate', 30000, () => /^master_link_status:up$/m.test(cli(ip(first), 6379, 'INFO', 'replication')));
  expect(cli(ip(second), 6379, 'GET', 'st2-lock').trim()).toBe('holder-a');
  expect(cli(ip(second), 6379, 'SET', 'st2-lock', 'holder-b', 'NX', 'PX', '120000').trim()).toBe('');
  expect(cli(ip(first), 6379, 'GET', 'st2-lock').trim()).toBe('holder-a');

  // A crash: the master is killed and its pod starts again before the sentinels notice. The
  // bootstrap sees itself named with other members running, and waits for the promotion.
  const crashed = redisOf(second);
  crashed.kill('SIGKILL');
  await exited(crashed);
  // The bootstrap as it was before this fix (no wait) would start the crashed pod as master,
  // with no data: every replica would resync from it and the lock would be gone.
  const script = fs.readFileSync(path.join(work, 'config', 'bootstrap.sh'), 'utf8');
  const withoutWait = script.replace(/\n# Named master, but starting with no data[\s\S]*?\n  echo "sentinels now name \$master as master"\nfi\n/, '\n');
  expect(withoutWait).not.toBe(script);
  fs.writeFileSync(path.join(work, 'config', 'bootstrap-without-wait.sh'), withoutWait);
  const oldLive = path.join(work, 'live-old');
  fs.mkdirSync(oldLive, { recursive: true });
  const old = spawnSync('unshare', wrap(`exec sh ${path.join(work, 'config', 'bootstrap-without-wait.sh')} ${path.join(work, 'config')} ${oldLive}`), {
    env: { ...process.env, HOSTNAME: `redis-${second}` },
    encoding: 'utf8',
    timeout: 30000,
  });
  expect(old.stdout).toContain(`starting ${hosts[second]} as master`);
  const crashStarted = Date.now();
  const output = bootstrap(second);
  expect(output).toContain('which has no data, while other members run: waiting');
  const third = hosts.indexOf(/sentinels now name (\S+) as master/.exec(output)![1]);
  expect([third, third === second]).toEqual([third, false]);
  log(`crashed master redis-${second} restarted at once: its bootstrap waited ${Date.now() - crashStarted} ms for redis-${third} to be promoted`);
  expect(fs.readFileSync(path.join(work, `live-${second}`, 'redis.conf'), 'utf8')).toContain(`replicaof ${hosts[third]} 6379`);
  startServer(`redis-${second}-after-crash`, path.join(work, `data-${second}`), `redis-server ${path.join(work, `live-${second}`, 'redis.conf')}`);
  await waitUntil('the crashed member to replicate', 30000, () => /^master_link_status:up$/m.test(cli(ip(second), 6379, 'INFO', 'replication')));
  expect(cli(ip(third), 6379, 'GET', 'st2-lock').trim()).toBe('holder-a');
  expect(cli(ip(second), 6379, 'GET', 'st2-lock').trim()).toBe('holder-a');
}, 180000);

test('tooz (Debian python3-tooz 3.1 over redis-py 4.3) with our [coordination] url: a held lock refuses a second member, and survives a master kill', async () => {
  const conf = parse(fs.readFileSync(path.join(__dirname, '..', '..', 'dist', 'ha', 'ConfigMap.st2-config.k8s.yaml'), 'utf8')).data['st2.conf'] as string;
  const url = /^\[coordination\]\nurl = (\S+)$/m.exec(conf)![1];
  expect(url).toMatch(/^redis:\/\/redis-0\.[^?]+:26379\?sentinel=st2&sentinel_fallback=/);
  const lock = (member: string, name: string, mode: 'hold' | 'release') => {
    const result = spawnSync('unshare', wrap(`exec /usr/bin/python3 ${path.join(__dirname, 'clients', 'tooz-lock.py')} '${url}' ${member} ${name} ${mode}`), {
      encoding: 'utf8',
      timeout: 30000,
    });
    expect([member, result.status, result.stderr]).toEqual([member, 0, '']);
    return JSON.parse(result.stdout.trim().split('\n').pop()!).acquired as boolean;
  };
  expect(lock('st2-a', 'execution-1', 'hold')).toBe(true);
  expect(lock('st2-b', 'execution-1', 'hold')).toBe(false);
  // The master every sentinel names, and that knows it is master (the previous drill's
  // failover may still be settling).
  let master = -1;
  await waitUntil('the sentinels to agree on a running master', 60000, () => {
    const agreed = agreedMaster();
    if (agreed === undefined || !/^role:master/m.test(cli(ip(agreed), 6379, 'INFO', 'replication'))) return false;
    master = agreed;
    return true;
  });
  await waitUntil('the lock key on every member', 10000, () => [0, 1, 2].every((i) => cli(ip(i), 6379, 'KEYS', '*execution-1*').trim() !== ''));
  const killed = redisOf(master);
  killed.kill('SIGKILL');
  await exited(killed);
  const bound = downAfter + failoverTimeout + 5000;
  const served = await waitUntil(`tooz to take a new lock through the promoted master within ${bound} ms`, bound, () => {
    const promoted = agreedMaster();
    return promoted !== undefined && promoted !== master && lock('st2-b', 'after-failover', 'release');
  });
  log(`tooz served locks again ${served} ms after the master (redis-${master}) was SIGKILLed`);
  // What tooz guarantees: the lock is a key with a timeout, replicated before the kill, so the
  // promoted master still holds it for st2-a and st2-b is refused (never both holders).
  expect(lock('st2-b', 'execution-1', 'hold')).toBe(false);
});

endTrackedChildren();
