import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { memberHost } from '../../lib/backing/members';
import { renderRedisBootstrap, renderRedisConf, renderSentinelConf } from '../../lib/backing/redis-conf';
import { RedisSentinel, RedisSentinelProps } from '../../lib/backing/redis-sentinel';
import { validateAll } from '../support/k8s-schema';
import { find, K8sObject, synth, synthConstruct } from '../support/synth';
import { quorumMessage } from '../support/errors';

const identity = { namespace: 'st2-test', instance: 'stackstorm' };
const hosts = [0, 1, 2].map((i) => memberHost('redis', i, { namespace: 'st2-test', instance: 'stackstorm' }));

function build(props: Partial<RedisSentinelProps> = {}): { objects: K8sObject[]; redis: RedisSentinel } {
  const { construct: redis, objects } = synthConstruct((chart) => new RedisSentinel(chart, 'RedisSentinel', { identity, ...props }));
  return { objects, redis };
}

describe('RedisSentinel objects', () => {
  const { objects, redis } = build();
  const statefulSet = find(objects, 'StatefulSet', 'redis');
  const pod = statefulSet.spec.template.spec;
  const container = (name: string) => pod.containers.find((c: any) => c.name === name);

  test('every object is schema-valid (1.27 and 1.36)', () => {
    expect(validateAll(objects)).toEqual([]);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/redis-config',
      'PodDisruptionBudget/redis',
      'Service/redis-headless',
      'StatefulSet/redis',
    ]);
  });

  test('three members start in parallel, each with redis, sentinel and a bootstrap init step', () => {
    expect(statefulSet.spec.replicas).toBe(3);
    expect(statefulSet.spec.podManagementPolicy).toBe('Parallel');
    expect(statefulSet.spec.serviceName).toBe('redis-headless');
    expect(pod.containers.map((c: any) => c.name)).toEqual(['redis', 'sentinel']);
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['bootstrap']);
    expect(pod.initContainers[0].command).toEqual(['sh', '/config/bootstrap.sh', '/config', '/live']);
    expect(container('redis').command).toEqual(['redis-server', '/live/redis.conf']);
    expect(container('sentinel').command).toEqual(['redis-server', '/live/sentinel.conf', '--sentinel']);
    for (const c of [...pod.containers, ...pod.initContainers]) {
      expect(c.image).toBe('redis:7.0.15');
      expect(c.securityContext).toMatchObject({ runAsUser: 999, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
    }
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' });
  });

  test('sentinel gets a writable copy of its config; redis reads it read-only', () => {
    const mounts = (c: any) => Object.fromEntries(c.volumeMounts.map((m: any) => [m.mountPath, m.readOnly ?? false]));
    expect(mounts(pod.initContainers[0])).toEqual({ '/config': true, '/live': false });
    expect(mounts(container('sentinel'))).toEqual({ '/live': false });
    // The config folder for its preStop handover script.
    expect(mounts(container('redis'))).toEqual({ '/live': true, '/data': false, '/config': true });
    expect(container('redis').lifecycle.preStop.exec.command).toEqual(['sh', '/config/prestop.sh', '/live']);
    // The handover (failover-timeout + 5 s) fits in the grace period.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    expect(pod.volumes.find((v: any) => v.name === 'live').emptyDir).toBeDefined();
  });

  test('probes: readiness runs redis-cli ping, liveness only checks the port', () => {
    for (const [name, port] of [
      ['redis', 6379],
      ['sentinel', 26379],
    ] as const) {
      expect(container(name).readinessProbe.exec.command).toEqual(['sh', '-c', `redis-cli -p ${port} ping | grep -q PONG`]);
      expect(container(name).livenessProbe.tcpSocket.port).toBe(port);
      expect(container(name).ports).toEqual([{ containerPort: port, name }]);
    }
  });

  test('the headless Service publishes unready members and selects the pods', () => {
    const service = find(objects, 'Service', 'redis-headless');
    expect(service.spec.clusterIP).toBe('None');
    expect(service.spec.publishNotReadyAddresses).toBe(true);
    expect(service.spec.selector).toEqual(statefulSet.spec.selector.matchLabels);
    expect(service.spec.ports.map((p: any) => p.port)).toEqual([6379, 26379]);
  });

  test('a PodDisruptionBudget lets one member go at a time', () => {
    const pdb = find(objects, 'PodDisruptionBudget', 'redis');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(statefulSet.spec.selector.matchLabels);
  });

  test("the ConfigMap holds each member's files with stable-name announces and the configured timings", () => {
    const data = find(objects, 'ConfigMap', 'redis-config').data!;
    expect(Object.keys(data).sort()).toEqual([
      'bootstrap.sh',
      'prestop.sh',
      'redis-0.conf',
      'redis-1.conf',
      'redis-2.conf',
      'sentinel-0.conf',
      'sentinel-1.conf',
      'sentinel-2.conf',
    ]);
    hosts.forEach((host, i) => {
      const sentinel = data[`sentinel-${i}.conf`].split('\n');
      expect(sentinel).toContain(`sentinel announce-ip ${host}`);
      expect(sentinel).toContain('sentinel announce-hostnames yes');
      expect(sentinel).toContain(`sentinel monitor st2 ${hosts[0]} 6379 2`);
      expect(sentinel).toContain('sentinel down-after-milliseconds st2 5000');
      expect(sentinel).toContain('sentinel failover-timeout st2 15000');
      // Sentinel refuses a hostname in `monitor` unless it was told to resolve hostnames first.
      expect(sentinel.indexOf('sentinel resolve-hostnames yes')).toBeGreaterThanOrEqual(0);
      expect(sentinel.indexOf('sentinel resolve-hostnames yes')).toBeLessThan(sentinel.findIndex((l) => l.startsWith('sentinel monitor')));
      const conf = data[`redis-${i}.conf`].split('\n');
      expect(conf).toContain(`replica-announce-ip ${host}`);
      expect(conf.filter((l) => l.startsWith('replicaof '))).toEqual(i === 0 ? [] : [`replicaof ${hosts[0]} 6379`]);
      expect(conf).toContain('save ""');
      expect(conf).toContain('maxmemory 128mb');
    });
    expect(redis.files).toEqual(data);
  });

  test('the endpoint is the tooz sentinel URL over member DNS names', () => {
    expect(redis.endpoint.backend).toBe('redis-sentinel');
    expect(redis.endpoint.url).toBe(`redis://${hosts[0]}:26379?sentinel=st2&sentinel_fallback=${hosts[1]}:26379&sentinel_fallback=${hosts[2]}:26379`);
    expect(redis.endpoint.hosts).toContain(`${hosts[2]}:26379`);
  });

  test('typed timings, member count and master name reach the files', () => {
    const { objects: five, redis: r5 } = build({ members: 5, downAfterMilliseconds: 2000, failoverTimeoutMilliseconds: 9000, masterName: 'coord' });
    const data = find(five, 'ConfigMap', 'redis-config').data!;
    expect(find(five, 'StatefulSet', 'redis').spec.replicas).toBe(5);
    expect(data['sentinel-4.conf']).toContain(`sentinel monitor coord ${memberHost('redis', 0, { namespace: 'st2-test', instance: 'stackstorm' })} 6379 3\n`);
    expect(data['sentinel-4.conf']).toContain('sentinel down-after-milliseconds coord 2000\n');
    expect(data['sentinel-4.conf']).toContain('sentinel failover-timeout coord 9000\n');
    expect(r5.endpoint.url!.match(/sentinel_fallback=/g)).toHaveLength(4);
    expect(validateAll(five)).toEqual([]);
  });
});

describe('RedisSentinel settings errors', () => {
  test.each([2, 4, 1, 2.5])('%p members', (members) => {
    expect(() => build({ members })).toThrow(quorumMessage('datastores.coordination.inCluster.replicas', members, 'a Sentinel quorum'));
  });
  test('a quorum other than the majority', () => {
    expect(() => build({ quorum: 1 })).toThrow('datastores.coordination.inCluster.quorum: 1 of 3 sentinels. Fix: use the majority, 2');
    expect(() => build({ members: 5, quorum: 5 })).toThrow('quorum: 5 of 5 sentinels. Fix: use the majority, 3');
  });
  test('timings out of range or inconsistent', () => {
    expect(() => build({ downAfterMilliseconds: 500 })).toThrow(
      'datastores.coordination.inCluster.downAfterMilliseconds: got 500. Fix: set it to an integer from 1000 to 600000',
    );
    expect(() => build({ downAfterMilliseconds: 10000, failoverTimeoutMilliseconds: 5000 })).toThrow(
      'failoverTimeoutMilliseconds: 5000 is below downAfterMilliseconds 10000. Fix: give a failover at least as long',
    );
  });
  test('a master name that would break the config line', () => {
    expect(() => build({ masterName: 'my master' })).toThrow('masterName: "my master" is not a plain name');
  });
  test('an unpinned image', () => {
    expect(() => build({ image: { tag: 'latest' } })).toThrow('datastores.coordination.inCluster.image.tag: "latest" is not a pinned tag');
  });
});

describe('pure renderers', () => {
  test('renderRedisConf names the master only for replicas', () => {
    expect(renderRedisConf({ self: 'a', maxMemoryMiB: 64 })).not.toMatch(/^replicaof/m);
    expect(renderRedisConf({ self: 'b', replicaOf: 'a', maxMemoryMiB: 64 })).toMatch(/^replica-announce-ip b$[\s\S]*^replicaof a 6379$/m);
  });
  test('renderSentinelConf puts resolve-hostnames before monitor', () => {
    const text = renderSentinelConf({ self: 's', masterName: 'm', master: 'a', quorum: 2, downAfterMilliseconds: 1000, failoverTimeoutMilliseconds: 3000 });
    expect(text.indexOf('sentinel resolve-hostnames yes')).toBeLessThan(text.indexOf('sentinel monitor m a 6379 2'));
  });
});

describe('bootstrap script (run with a stand-in redis-cli)', () => {
  // The default timings (down-after 5 s, failover 15 s): 5 + 2 x 15 + 10.
  const script = renderRedisBootstrap({ members: hosts, masterName: 'st2', quorum: 2, promotionWaitSeconds: 45 });
  const { files } = build().redis;

  /** Runs the script for member `ordinal`; `answers` maps a sentinel host to its reply (none: refused). */
  function run(ordinal: number, answers: Record<string, string>): { stdout: string; redis: string; sentinel: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-bootstrap-'));
    try {
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
      fs.mkdirSync(path.join(dir, 'bin'));
      fs.mkdirSync(path.join(dir, 'live'));
      const cases = Object.entries(answers)
        .map(([host, reply]) => `  ${host}) printf '%s\\n6379\\n' '${reply}' ;;`)
        .join('\n');
      fs.writeFileSync(
        path.join(dir, 'bin', 'redis-cli'),
        `#!/bin/sh\necho "$@" >> ${dir}/asked\ncase "$2" in\n${cases}\n  *) echo "Could not connect" >&2; exit 1 ;;\nesac\n`,
        { mode: 0o755 },
      );
      const result = spawnSync('sh', [path.join(dir, 'bootstrap.sh'), dir, path.join(dir, 'live')], {
        env: { PATH: `${dir}/bin:${process.env.PATH}`, HOSTNAME: `redis-${ordinal}` },
        encoding: 'utf8',
        timeout: 20000,
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      return {
        stdout: result.stdout,
        redis: fs.readFileSync(path.join(dir, 'live', 'redis.conf'), 'utf8'),
        sentinel: fs.readFileSync(path.join(dir, 'live', 'sentinel.conf'), 'utf8'),
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('is the file in the ConfigMap and asks the sentinels by name', () => {
    expect(files['bootstrap.sh']).toBe(script);
    expect(script).toContain('SENTINEL get-master-addr-by-name st2');
  });

  test('no sentinel answers: fresh start, member 0 is master', () => {
    const zero = run(0, {});
    expect(zero.stdout).toContain('no sentinel answered');
    expect(zero.redis).not.toMatch(/^replicaof/m);
    const two = run(2, {});
    expect(two.redis).toMatch(new RegExp(`^replicaof ${hosts[0]} 6379$`, 'm'));
  });

  test('a restarted former master follows the master the sentinels name (even if only the last answers)', () => {
    const result = run(0, { [hosts[2]]: hosts[1] });
    expect(result.stdout).toContain(`sentinel ${hosts[2]} names ${hosts[1]} as master`);
    expect(result.redis.match(/^replicaof .*$/gm)).toEqual([`replicaof ${hosts[1]} 6379`]);
    expect(result.sentinel).toMatch(new RegExp(`^sentinel monitor st2 ${hosts[1].replace(/\./g, '\\.')} 6379 2$`, 'm'));
    expect(result.sentinel).toContain(`sentinel announce-ip ${hosts[0]}`);
  });

  test('the member the sentinels name as master starts without replicaof', () => {
    const result = run(1, { [hosts[0]]: hosts[1] });
    expect(result.redis).not.toMatch(/^replicaof/m);
    expect(result.stdout).toContain('as master');
  });

  /**
   * Runs the bootstrap of member `ordinal` (rendered with `wait` seconds) against a stand-in
   * redis-cli: the other members answer PING; the sentinels name this member for the first
   * `stale` questions (they have not noticed it was gone), then `promoted` (none: never).
   */
  function restart(ordinal: number, stale: number, promoted: string | undefined, wait = 30) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-bootstrap-'));
    try {
      const rendered = renderRedisBootstrap({ members: hosts, masterName: 'st2', quorum: 2, promotionWaitSeconds: wait });
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
      fs.writeFileSync(path.join(dir, 'bootstrap.sh'), rendered);
      fs.mkdirSync(path.join(dir, 'bin'));
      fs.mkdirSync(path.join(dir, 'live'));
      fs.writeFileSync(
        path.join(dir, 'bin', 'redis-cli'),
        [
          '#!/bin/sh',
          `if [ "$5" = ping ]; then [ "$2" = "${hosts[ordinal]}" ] && exit 1; echo PONG; exit 0; fi`,
          `n=$(cat ${dir}/count 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/count`,
          `if [ "$n" -lt ${stale} ]; then printf '%s\n6379\n' '${hosts[ordinal]}'; else printf '%s\n6379\n' '${promoted ?? hosts[ordinal]}'; fi`,
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      const started = Date.now();
      const result = spawnSync('sh', [path.join(dir, 'bootstrap.sh'), dir, path.join(dir, 'live')], {
        env: { PATH: `${dir}/bin:${process.env.PATH}`, HOSTNAME: `redis-${ordinal}` },
        encoding: 'utf8',
        timeout: 20000,
      });
      const redis = fs.existsSync(path.join(dir, 'live', 'redis.conf')) ? fs.readFileSync(path.join(dir, 'live', 'redis.conf'), 'utf8') : undefined;
      return { ...result, redis, ms: Date.now() - started };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('named master with no data while other members run: it waits for the promotion and follows it (no empty master)', () => {
    const result = restart(0, 3, hosts[2]);
    expect([result.status, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain('which has no data, while other members run: waiting');
    expect(result.stdout).toContain(`sentinels now name ${hosts[2]} as master`);
    expect(result.redis!.match(/^replicaof .*$/gm)).toEqual([`replicaof ${hosts[2]} 6379`]);
  });

  test('if no member is promoted within the bound it refuses to start as an empty master', () => {
    const result = restart(0, 1000, undefined, 2);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('refusing to start as an empty master');
    expect(result.redis).toBeUndefined();
    expect(result.ms).toBeLessThan(15000);
  });

  test('a reply that is not a host name is ignored', () => {
    const result = run(1, { [hosts[0]]: 'ERR no such master', [hosts[1]]: '' });
    expect(result.stdout).toContain('no sentinel answered');
  });
});

describe('wiring into StackStormHa', () => {
  const objects = synth({ namespace: 'st2-test' });
  const st2conf = find(objects, 'ConfigMap', 'st2-config').data!['st2.conf'];
  const url = `redis://${hosts[0]}:26379?sentinel=st2&sentinel_fallback=${hosts[1]}:26379&sentinel_fallback=${hosts[2]}:26379`;

  test('redis-sentinel is the default backend and st2 gets its tooz URL', () => {
    expect(st2conf).toContain(`[coordination]\nurl = ${url}\n`);
    find(objects, 'StatefulSet', 'redis');
    expect(validateAll(objects)).toEqual([]);
  });

  test('st2 pods wait for the coordination backend', () => {
    const prepare = find(objects, 'Deployment', 'st2api').spec.template.spec.initContainers[0];
    expect(prepare.command.some((arg: string) => arg.split(',').includes(`${hosts[0]}:26379`))).toBe(true);
  });

  test('external takes the URL as given and builds nothing', () => {
    const external = synth({ namespace: 'st2-test', datastores: { coordination: { backend: 'external', externalUrl: 'kazoo://zk-a:2181,zk-b:2181' } } });
    expect(find(external, 'ConfigMap', 'st2-config').data!['st2.conf']).toContain('url = kazoo://zk-a:2181,zk-b:2181\n');
    expect(external.some((o) => o.metadata.name === 'redis' || o.metadata.name === 'zookeeper')).toBe(false);
  });

  test('external without a URL, or with something that is not one, is refused', () => {
    expect(() => synth({ datastores: { coordination: { backend: 'external' } } })).toThrow(
      'datastores.coordination.externalUrl: the external backend names no URL. Fix: give a tooz URL',
    );
    expect(() => synth({ datastores: { coordination: { backend: 'external', externalUrl: 'zk-a:2181' } } })).toThrow(
      'datastores.coordination.externalUrl: "zk-a:2181" is not a tooz URL',
    );
  });

  test('an unknown backend is refused', () => {
    expect(() => synth({ datastores: { coordination: { backend: 'etcd' as any } } })).toThrow(
      'datastores.coordination.backend: unknown backend "etcd". Fix: use redis-sentinel, zookeeper, external or none',
    );
  });

  test('in-cluster replicas reach the member count and are checked', () => {
    expect(() => synth({ datastores: { coordination: { inCluster: { replicas: 2 } } } })).toThrow(
      'datastores.coordination.inCluster.replicas: got 2: a Sentinel quorum of fewer than 3 members',
    );
  });
});

test('failover timings come from the deployment settings into sentinel.conf', () => {
  const objects = synth({ datastores: { coordination: { sentinel: { downAfterMilliseconds: 3000, failoverTimeoutMilliseconds: 9000 } } } });
  const conf = Object.entries(find(objects, 'ConfigMap', 'redis-config').data!)
    .filter(([key]) => key.startsWith('sentinel'))
    .map(([, text]) => text);
  expect(conf.length).toBe(3);
  for (const text of conf) {
    expect(text).toMatch(/^sentinel down-after-milliseconds st2 3000$/m);
    expect(text).toMatch(/^sentinel failover-timeout st2 9000$/m);
  }
});
