/**
 * A real 3-node ZooKeeper 3.8 ensemble (Debian's zookeeper package) run from our zoo.cfg.
 * The file is taken from dist/ha-zookeeper/ConfigMap.zookeeper-config.k8s.yaml exactly as
 * synthesized. Changes per node: dataDir points at a temporary folder and `clientPortAddress`
 * binds the node's loopback address (127.0.20.N+1). Member DNS names stay: each JVM runs
 * under `unshare --mount` with /etc/hosts bind-mounted to map them.
 */
import { ChildProcess, execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { waitUntil } from '../support/wait';
import { parse } from 'yaml';
import { K8sObject } from '../support/synth';
import { endTrackedChildren, spawnTracked } from '../support/children';

const DIST = path.join(__dirname, '..', '..', 'dist');
const ip = (ordinal: number) => `127.0.20.${ordinal + 1}`;
const CLASSPATH = ['/etc/zookeeper/conf', '/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-log4j12.jar', '/usr/share/java/log4j-1.2.jar'].join(':');

function loadObjects(): { source: string; configMap: K8sObject; statefulSet: K8sObject } {
  const dir = path.join(DIST, 'ha-zookeeper');
  const file = path.join(dir, 'ConfigMap.zookeeper-config.k8s.yaml');
  return {
    source: file,
    configMap: parse(fs.readFileSync(file, 'utf8')),
    statefulSet: parse(fs.readFileSync(path.join(dir, 'StatefulSet.zookeeper.k8s.yaml'), 'utf8')),
  };
}

const { source, configMap, statefulSet } = loadObjects();
const zooCfg: string = configMap.data!['zoo.cfg'];
const servers = [...zooCfg.matchAll(/^server\.(\d+)=([^:\s]+):(\d+):(\d+)$/gm)].map((m) => ({ id: Number(m[1]), host: m[2] }));

let work: string;
let hostsFile: string;
const nodes: ChildProcess[] = [];
const started = Date.now();
const log = (message: string) => console.log(`[zookeeper +${((Date.now() - started) / 1000).toFixed(2)}s] ${message}`);

function fourLetter(ordinal: number, word: string): string {
  try {
    return execFileSync('nc', ['-N', '-w', '2', ip(ordinal), '2181'], { input: word, encoding: 'utf8', timeout: 5000, stdio: ['pipe', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

/** The probe command of the synthesized container, aimed at the node's loopback address. */
function probe(kind: 'readinessProbe' | 'livenessProbe' | 'startupProbe', ordinal: number): boolean {
  const command: string[] = statefulSet.spec.template.spec.containers[0][kind].exec.command;
  const [shell, flag, script] = command;
  try {
    execFileSync(shell, [flag, script.replace('127.0.0.1', ip(ordinal))], { timeout: 5000, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** zkCli, bounded: it retries a dead server forever. It prints results on both streams. */
function zkCli(ordinal: number, ...command: string[]): string {
  const result = spawnSync(
    'timeout',
    [
      '20',
      'java',
      '-Xmx64m',
      '-Dzookeeper.root.logger=WARN,CONSOLE',
      '-cp',
      CLASSPATH,
      'org.apache.zookeeper.ZooKeeperMain',
      '-server',
      `${ip(ordinal)}:2181`,
      ...command,
    ],
    { encoding: 'utf8', timeout: 30000 },
  );
  return `${result.status === 0 ? '' : `FAILED (${result.status}) `}${result.stdout}${result.stderr}`;
}

const mode = (ordinal: number) => /^Mode: (\w+)/m.exec(fourLetter(ordinal, 'srvr'))?.[1];

/** st2's lock client, Debian's python3-tooz, with `url`, in the namespace that resolves the member names. */
function toozLock(url: string, member: string, lock: string, mode: string): boolean {
  const result = spawnSync(
    'unshare',
    [
      '--mount',
      'sh',
      '-c',
      `mount --bind ${hostsFile} /etc/hosts && exec /usr/bin/python3 ${path.join(__dirname, 'clients', 'tooz-lock.py')} '${url}' ${member} ${lock} ${mode}`,
    ],
    { encoding: 'utf8', timeout: 30000 },
  );
  if (result.status !== 0) throw new Error(`tooz-lock ${member} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!).acquired;
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'zookeeper-'));
  hostsFile = path.join(work, 'hosts');
  fs.writeFileSync(hostsFile, `127.0.0.1 localhost\n${servers.map((s, i) => `${ip(i)} ${s.host}`).join('\n')}\n`);
});

afterAll(async () => {
  for (const child of nodes) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await Promise.all(
    nodes.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => child.once('exit', resolve)))),
  );
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('an ensemble from our zoo.cfg keeps serving reads and writes after losing its leader', async () => {
  log(`zoo.cfg from ${source}`);
  expect(servers.map((s) => s.id)).toEqual([1, 2, 3]);
  expect(zooCfg.match(/^dataDir=.*$/gm)).toHaveLength(1);
  expect(zooCfg).not.toMatch(/^clientPortAddress=/m);

  for (let i = 0; i < servers.length; i++) {
    const dir = path.join(work, `node-${i}`);
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    // The pod derives myid from its ordinal the same way: ordinal + 1.
    fs.writeFileSync(path.join(dir, 'data', 'myid'), `${i + 1}\n`);
    fs.writeFileSync(path.join(dir, 'zoo.cfg'), zooCfg.replace(/^dataDir=.*$/m, `dataDir=${path.join(dir, 'data')}`) + `clientPortAddress=${ip(i)}\n`);
    const out = fs.openSync(path.join(dir, 'server.log'), 'a');
    const java = `exec java -Xmx64m -Dzookeeper.root.logger=INFO,CONSOLE -cp ${CLASSPATH} org.apache.zookeeper.server.quorum.QuorumPeerMain ${path.join(dir, 'zoo.cfg')}`;
    nodes.push(spawnTracked('unshare', ['--mount', 'sh', '-c', `mount --bind ${hostsFile} /etc/hosts && ${java}`], { cwd: dir, stdio: ['ignore', out, out] }));
  }
  const quorum = await waitUntil('a leader and two followers', 60000, () => {
    const modes = [0, 1, 2].map(mode).sort();
    return modes.join(',') === 'follower,follower,leader';
  });
  log(`quorum in ${quorum} ms`);
  // The synthesized probes work against the real server (the four-letter words are whitelisted).
  for (let i = 0; i < 3; i++) {
    expect([i, probe('readinessProbe', i), probe('livenessProbe', i), probe('startupProbe', i)]).toEqual([i, true, true, true]);
  }
  expect(fourLetter(0, 'mntr')).toMatch(/zk_server_state/);

  expect(zkCli(0, 'create', '/st2-probe', 'before')).toMatch(/Created \/st2-probe/);
  // st2's lock client with the [coordination] url of dist/ha-zookeeper: a member holds a lock
  // (its session stays open), a second member is refused it.
  const conf: string = parse(fs.readFileSync(path.join(DIST, 'ha-zookeeper', 'ConfigMap.st2-config.k8s.yaml'), 'utf8')).data['st2.conf'];
  const url = /^\[coordination\]\nurl = (\S+)$/m.exec(conf)![1];
  expect(url).toMatch(/^kazoo:\/\/zookeeper-0\.[^,]+:2181,zookeeper-1\./);
  const holderOut = fs.openSync(path.join(work, 'holder.log'), 'a');
  const holder = spawnTracked(
    'unshare',
    [
      '--mount',
      'sh',
      '-c',
      `mount --bind ${hostsFile} /etc/hosts && exec /usr/bin/python3 ${path.join(__dirname, 'clients', 'tooz-lock.py')} '${url}' st2-a execution-1 keep:90`,
    ],
    { stdio: ['ignore', holderOut, holderOut] },
  );
  nodes.push(holder);
  await waitUntil('st2-a to hold the lock', 20000, () => fs.readFileSync(path.join(work, 'holder.log'), 'utf8').includes('"acquired": true'));
  expect(toozLock(url, 'st2-b', 'execution-1', 'release')).toBe(false);
  const leader = [0, 1, 2].find((i) => mode(i) === 'leader')!;
  const survivors = [0, 1, 2].filter((i) => i !== leader);
  const stoppedAt = Date.now();
  nodes[leader].kill('SIGKILL');
  // Wait for what is asserted next: a new leader among the survivors (right after the kill
  // both may still report their old mode, then none while they elect) and both ready.
  const recovered = await waitUntil(
    'the two survivors to elect a leader and be ready',
    30000,
    () => survivors.map(mode).sort().join(',') === 'follower,leader' && survivors.every((i) => probe('readinessProbe', i)),
  );
  log(`leader (node ${leader}) SIGKILLed; survivors serve again after ${recovered} ms (${survivors.map((i) => `${i}: ${mode(i)}`).join(', ')})`);
  // A node without quorum answers srvr without a Mode, so readiness tells the two apart.
  expect(survivors.map((i) => probe('readinessProbe', i))).toEqual([true, true]);

  expect(zkCli(survivors[0], 'get', '/st2-probe')).toMatch(/^before$/m);
  expect(zkCli(survivors[1], 'create', '/st2-after', 'written-with-2-of-3')).toMatch(/Created \/st2-after/);
  expect(zkCli(survivors[0], 'get', '/st2-after')).toMatch(/^written-with-2-of-3$/m);
  log(`reads and writes on 2 of 3 checked ${Date.now() - stoppedAt} ms after the kill`);
  // tooz over the survivors: new locks are served, and st2-a's session (moved to a survivor by
  // kazoo) still holds its lock, so st2-b is refused: never two holders.
  expect(toozLock(url, 'st2-b', 'after-failover', 'release')).toBe(true);
  expect(toozLock(url, 'st2-b', 'execution-1', 'release')).toBe(false);
  log(`tooz (kazoo) locks checked ${Date.now() - stoppedAt} ms after the leader was killed; the holder kept its lock`);
});

endTrackedChildren();
