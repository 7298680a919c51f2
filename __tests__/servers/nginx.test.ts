/**
 * The edge's nginx.conf, exactly as synthesized into dist/ha/, run by Debian's nginx.
 *
 * Only listen addresses (ports kept), certificate paths, and pid/temp paths are mapped.
 * Every name is kept: nginx runs in its own mount namespace with a bind-mounted /etc/hosts
 * naming the cluster DNS Service (`kube-dns.kube-system.svc.cluster.local`, resolved once at
 * start by the system resolver, as in a pod), and that "cluster DNS" is a dnsmasq on
 * 127.0.40.53 answering the Services' FQDNs with loopback addresses, where small Node HTTP
 * servers stand in for st2api, st2auth, st2stream and st2web on their real ports.
 *
 * A second nginx runs a variant rendered by the same pure function with short timeouts and
 * the plain-HTTP mode, to prove in seconds that the read timeout is honoured and that
 * X-Forwarded-Proto decides the redirect.
 *
 * The last tests stop stand-ins (st2stream, then st2api and st2auth) to see each outage answer.
 */
import { ChildProcess, execFileSync, spawnSync } from 'child_process';
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { pollFor } from '../support/wait';
import { Resolver } from 'dns/promises';
import { parse } from 'yaml';
import { renderNginxConf } from '../../lib/edge/nginx-conf';
import { endTrackedChildren, spawnTracked } from '../support/children';

const ROOT = path.join(__dirname, '..', '..');
const DNS_IP = '127.0.40.53';
const EDGE_IP = '127.0.40.1';
const VARIANT_IP = '127.0.40.2';
const PUBLIC_HOST = 'stackstorm.example.com';
const NAMESPACE = 'stackstorm';
const fqdn = (name: string) => `${name}.${NAMESPACE}.svc.cluster.local`;
const UPSTREAMS = {
  st2api: { ip: '127.0.40.11', port: 9101 },
  st2auth: { ip: '127.0.40.12', port: 9100 },
  st2stream: { ip: '127.0.40.13', port: 9102 },
  st2web: { ip: '127.0.40.14', port: 80 },
} as const;
type UpstreamName = keyof typeof UPSTREAMS;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-edge-'));
const processes: { name: string; child: ChildProcess; log: string; signal: NodeJS.Signals }[] = [];
const servers: http.Server[] = [];
/** The stream upstream asks for the go-ahead before each event; the test gives it on receipt. */
const received = new EventEmitter();

/**
 * Starts a server with stdout and stderr on a log file: nginx opens `/dev/stdout` for its
 * access log, which works on a pipe or file (as in a container) but not on the socket Node
 * would hand it.
 */
function start(name: string, command: string, args: string[], signal: NodeJS.Signals): ChildProcess {
  const log = path.join(work, `${name.replace(/[^a-z]+/g, '-')}.log`);
  const fd = fs.openSync(log, 'a');
  const child = spawnTracked(command, args, { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  processes.push({ name, child, log, signal });
  return child;
}

function logs(): string {
  return processes.map((p) => `--- ${p.name}\n${fs.existsSync(p.log) ? fs.readFileSync(p.log, 'utf8').slice(-3000) : ''}`).join('\n');
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  protocol?: string;
}

/**
 * One request with a bounded wait; `tls` goes to the HTTPS port with the test CA.
 * `headersOnly` resolves on the response headers and hangs up (for never-ending event streams).
 */
function request(options: {
  ip: string;
  port: number;
  path: string;
  tls?: boolean;
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  headersOnly?: boolean;
}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const common = { host: options.ip, port: options.port, path: options.path, headers: { Host: PUBLIC_HOST, ...options.headers } };
    const onResponse = (res: http.IncomingMessage) => {
      if (options.headersOnly) {
        resolve({ status: res.statusCode!, headers: res.headers, body: '' });
        res.destroy();
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, protocol: (res.socket as any).getProtocol?.() }));
      res.on('error', reject);
    };
    const req = options.tls
      ? https.request(
          { ...common, ca: fs.readFileSync(path.join(work, 'tls.crt')), servername: PUBLIC_HOST, maxVersion: options.maxVersion, agent: false },
          onResponse,
        )
      : http.request({ ...common, agent: false }, onResponse);
    req.setTimeout(options.timeoutMs ?? 5000, () => req.destroy(new Error(`request ${options.path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The nginx.conf of dist/ha, mapped for loopback; returns the text and the lines changed. */
function mapForTest(conf: string, ip: string, dir: string): { text: string; changed: string[] } {
  const changed: string[] = [];
  const lines = conf.split('\n').map((line) => {
    let mapped = line;
    if (/^\s*listen [0-9]+/.test(line)) mapped = line.replace(/listen ([0-9]+)/, `listen ${ip}:$1`);
    else if (/^\s*ssl_certificate(_key)? \/etc\/nginx\/tls\//.test(line)) mapped = line.replace('/etc/nginx/tls/', `${dir}/../`);
    else if (/^\s*(pid|[a-z_]+_temp_path) \/tmp\//.test(line)) mapped = line.replace(' /tmp/', ` ${dir}/`);
    if (mapped !== line) changed.push(line.trim());
    return mapped;
  });
  return { text: lines.join('\n'), changed };
}

/** Runs nginx in its own mount namespace, where /etc/hosts names the cluster DNS Service. */
function nginxArgs(dir: string, extra: string[] = []): string[] {
  const hosts = path.join(work, 'hosts');
  return ['--mount', 'sh', '-c', `mount --bind ${hosts} /etc/hosts && exec nginx -p ${dir}/ -c ${dir}/nginx.conf -e stderr ${extra.join(' ')}`];
}

function writeConf(name: string, text: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'nginx.conf'), text);
  return dir;
}

/** An upstream that echoes who it is and what it received; `/v1/silent` never answers. */
function echo(name: UpstreamName): http.RequestListener {
  return (req, res) => {
    if (req.url === '/v1/silent') return;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ upstream: name, url: req.url, headers: req.headers }));
  };
}

/** st2stream stand-in: `/v1/stream` sends each event only after the client got the previous one. */
const streamUpstream: http.RequestListener = (req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Upstream-Url': req.url! });
  res.flushHeaders();
  const url = new URL(req.url!, 'http://x');
  if (url.pathname === '/v1/stream') {
    // Lock-step: event i+1 is written only once the client reports event i, so a buffering
    // proxy would stall this exchange until the wait below gives up.
    let index = 0;
    const send = () => res.write(`event: st2.test\ndata: {"n": ${index}, "sent": ${Date.now()}}\n\n`);
    const onReceived = (n: number) => {
      if (n !== index) return;
      index += 1;
      if (index === 5) {
        received.off('event', onReceived);
        res.end();
      } else {
        send();
      }
    };
    received.on('event', onReceived);
    res.on('close', () => received.off('event', onReceived));
    send();
  } else if (url.pathname === '/v1/ticking') {
    // An event every 500 ms for 3.5 s: longer in total than the variant's 2 s read timeout.
    let n = 0;
    const timer = setInterval(() => {
      res.write(`data: ${n}\n\n`);
      n += 1;
      if (n === 7) {
        clearInterval(timer);
        res.end();
      }
    }, 500);
    res.on('close', () => clearInterval(timer));
  } else if (url.pathname === '/v1/silent') {
    // One event, then silence: nginx must cut it at the read timeout.
    res.write('data: hello\n\n');
  }
};

beforeAll(async () => {
  const started = Date.now();
  // A self-signed certificate for the public host, made here (no key material in the repo).
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${PUBLIC_HOST}`,
      '-addext',
      `subjectAltName=DNS:${PUBLIC_HOST}`,
      '-keyout',
      path.join(work, 'tls.key'),
      '-out',
      path.join(work, 'tls.crt'),
    ],
    { stdio: 'ignore', timeout: 20000 },
  );

  // "Cluster DNS": the Services' FQDNs; any other name under cluster.local is NXDOMAIN, like
  // a Service that does not exist.
  fs.writeFileSync(
    path.join(work, 'services.hosts'),
    Object.entries(UPSTREAMS)
      .map(([name, u]) => `${u.ip} ${fqdn(name)}`)
      .join('\n') + '\n',
  );
  fs.writeFileSync(path.join(work, 'hosts'), `127.0.0.1 localhost\n${DNS_IP} kube-dns.kube-system.svc.cluster.local\n`);
  start(
    'dnsmasq',
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${path.join(work, 'services.hosts')}`,
      `--listen-address=${DNS_IP}`,
      '--bind-interfaces',
      '--port=53',
      '--local=/cluster.local/',
      '--user=root',
      '--pid-file=',
      '--log-facility=-',
    ],
    'SIGTERM',
  );
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([DNS_IP]);
  await pollFor('dnsmasq', 5000, async () => ((await resolver.resolve4(fqdn('st2api')))[0] === UPSTREAMS.st2api.ip ? true : undefined), 50, logs);

  for (const [name, u] of Object.entries(UPSTREAMS) as [UpstreamName, { ip: string; port: number }][]) {
    const server = http.createServer(name === 'st2stream' ? streamUpstream : echo(name));
    servers.push(server);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(u.port, u.ip, () => resolve()));
  }

  // nginx with the dist/ha file.
  const distConf = parse(fs.readFileSync(path.join(ROOT, 'dist/ha/ConfigMap.nginx-config.k8s.yaml'), 'utf8')).data['nginx.conf'] as string;
  const dist = mapForTest(distConf, EDGE_IP, path.join(work, 'dist'));
  mappedChanges = dist.changed;
  const distDir = writeConf('dist', dist.text);
  start('nginx (dist)', 'unshare', nginxArgs(distDir), 'SIGQUIT');

  // The variant: same upstream names and resolver, short timeouts, plain-HTTP mode.
  const variant = renderNginxConf({
    upstreams: {
      api: { host: fqdn('st2api'), port: 9101 },
      auth: { host: fqdn('st2auth'), port: 9100 },
      stream: { host: fqdn('st2stream'), port: 9102 },
      web: { host: fqdn('st2web'), port: 80 },
      // A Service that does not exist: nginx must start anyway and answer 502 on its route.
      mistral: { host: fqdn('mistral-api'), port: 8989 },
    },
    resolvers: ['kube-dns.kube-system.svc.cluster.local'],
    tlsMode: 'plain',
    streamHeartbeatSeconds: 1,
    timeouts: { streamReadSeconds: 2, connectSeconds: 1, apiReadSeconds: 1 },
  });
  const variantDir = writeConf('variant', mapForTest(variant, VARIANT_IP, path.join(work, 'variant')).text);
  start('nginx (variant)', 'unshare', nginxArgs(variantDir), 'SIGQUIT');

  for (const ip of [EDGE_IP, VARIANT_IP]) {
    await pollFor(
      `nginx health on ${ip}`,
      5000,
      async () => ((await request({ ip, port: 8081, path: '/healthz', timeoutMs: 500 })).status === 200 ? true : undefined),
      50,
      logs,
    );
  }
  setupMs = Date.now() - started;
}, 30000);

let mappedChanges: string[] = [];
let setupMs = 0;

afterAll(async () => {
  // Stop by PID: nginx gracefully (QUIT), dnsmasq with TERM; bounded wait for each exit.
  await Promise.all(
    processes.map(
      ({ child, signal }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 5000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill(signal);
        }),
    ),
  );
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`nginx suite: setup ${setupMs} ms`);
}, 20000);

test('only listen addresses, certificate paths and pid/temp paths were mapped', () => {
  expect(mappedChanges.sort()).toEqual(
    [
      'client_body_temp_path /tmp/client_body;',
      'fastcgi_temp_path /tmp/fastcgi;',
      'listen 8080;',
      'listen 8081;',
      'listen 8443 ssl;',
      'pid /tmp/nginx.pid;',
      'proxy_temp_path /tmp/proxy;',
      'scgi_temp_path /tmp/scgi;',
      'ssl_certificate /etc/nginx/tls/tls.crt;',
      'ssl_certificate_key /etc/nginx/tls/tls.key;',
      'uwsgi_temp_path /tmp/uwsgi;',
    ].sort(),
  );
});

test('nginx -t accepts the synthesized file', () => {
  // stdout on a file: nginx -t opens the access log (/dev/stdout) too.
  const stdout = fs.openSync(path.join(work, 'nginx-t.log'), 'a');
  const result = spawnSync('unshare', nginxArgs(path.join(work, 'dist'), ['-t']), { encoding: 'utf8', timeout: 10000, stdio: ['ignore', stdout, 'pipe'] });
  fs.closeSync(stdout);
  expect([result.status, result.stderr]).toEqual([0, expect.stringContaining('test is successful')]);
  expect(result.stderr).not.toMatch(/\[(warn|emerg|alert)\]/);
});

test.each([
  ['/api/v1/actions?limit=5', 'st2api', '/v1/actions?limit=5'],
  ['/auth/v1/tokens', 'st2auth', '/v1/tokens'],
  ['/', 'st2web', '/'],
  ['/index.html?x=1', 'st2web', '/index.html?x=1'],
])('HTTPS %s reaches %s as %s, with the security headers', async (requestPath, upstream, upstreamPath) => {
  const reply = await request({ ip: EDGE_IP, port: 8443, path: requestPath, tls: true });
  expect(reply.status).toBe(200);
  const body = JSON.parse(reply.body);
  expect(body.upstream).toBe(upstream);
  expect(body.url).toBe(upstreamPath);
  expect(body.headers['x-forwarded-proto']).toBe('https');
  expect(body.headers.host).toBe(PUBLIC_HOST);
  expect(reply.headers['x-content-type-options']).toBe('nosniff');
  expect(reply.headers['x-frame-options']).toBe('DENY');
  expect(reply.headers['strict-transport-security']).toBe('max-age=31536000');
  expect(reply.headers.server).toBe('nginx');
});

test('TLS 1.3 is negotiated, and 1.2 is accepted', async () => {
  expect((await request({ ip: EDGE_IP, port: 8443, path: '/', tls: true })).protocol).toBe('TLSv1.3');
  expect((await request({ ip: EDGE_IP, port: 8443, path: '/', tls: true, maxVersion: 'TLSv1.2' })).protocol).toBe('TLSv1.2');
});

test('the Authorization header reaches st2auth', async () => {
  const reply = await request({ ip: EDGE_IP, port: 8443, path: '/auth/v1/tokens', tls: true, headers: { Authorization: 'Basic c3QyYWRtaW46eA==' } });
  expect(JSON.parse(reply.body).headers.authorization).toBe('Basic c3QyYWRtaW46eA==');
});

test('plain HTTP redirects to HTTPS', async () => {
  const reply = await request({ ip: EDGE_IP, port: 8080, path: '/api/v1/actions?limit=5' });
  expect(reply.status).toBe(301);
  expect(reply.headers.location).toBe(`https://${PUBLIC_HOST}/api/v1/actions?limit=5`);
});

test('the health location answers on its own port', async () => {
  const reply = await request({ ip: EDGE_IP, port: 8081, path: '/healthz' });
  expect([reply.status, reply.body]).toEqual([200, 'ok\n']);
  expect((await request({ ip: EDGE_IP, port: 8081, path: '/api/' })).status).toBe(404);
});

test('SSE events pass one by one, each delivered before the upstream sends the next', async () => {
  const latencies = await new Promise<number[]>((resolve, reject) => {
    const req = https.request(
      {
        host: EDGE_IP,
        port: 8443,
        path: '/stream/v1/stream?events=st2.test',
        servername: PUBLIC_HOST,
        ca: fs.readFileSync(path.join(work, 'tls.crt')),
        headers: { Host: PUBLIC_HOST, Accept: 'text/event-stream' },
        agent: false,
      },
      (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        let buffer = '';
        const seen: number[] = [];
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = JSON.parse(
              event
                .split('\n')
                .find((l) => l.startsWith('data: '))!
                .slice(6),
            );
            seen.push(Date.now() - data.sent);
            received.emit('event', data.n);
          }
        });
        res.on('end', () => (seen.length === 5 ? resolve(seen) : reject(new Error(`got ${seen.length} of 5 events`))));
      },
    );
    // Lock-step with a buffering proxy would never finish: bound it.
    req.setTimeout(5000, () => req.destroy(new Error('SSE lock-step stalled: events are being buffered')));
    req.on('error', reject);
    req.end();
  });
  expect(latencies).toHaveLength(5);
  for (const latency of latencies) expect(latency).toBeLessThan(500);
});

test('a stream that keeps talking outlives the read timeout; a silent one is cut at it (variant: 2 s)', async () => {
  const ticking = Date.now();
  const reply = await request({ ip: VARIANT_IP, port: 8080, path: '/stream/v1/ticking', timeoutMs: 8000 });
  expect(Date.now() - ticking).toBeGreaterThan(3000);
  expect(reply.body.match(/^data: /gm)).toHaveLength(7);

  const silent = Date.now();
  const cut = await request({ ip: VARIANT_IP, port: 8080, path: '/stream/v1/silent', timeoutMs: 8000 });
  const elapsed = Date.now() - silent;
  expect(cut.body).toBe('data: hello\n\n');
  expect(elapsed).toBeGreaterThan(1800);
  expect(elapsed).toBeLessThan(4000);
});

test('variant (plain mode): X-Forwarded-Proto decides the redirect and HSTS', async () => {
  const fromHttp = await request({ ip: VARIANT_IP, port: 8080, path: '/api/v1/x', headers: { 'X-Forwarded-Proto': 'http' } });
  expect([fromHttp.status, fromHttp.headers.location]).toEqual([301, `https://${PUBLIC_HOST}/api/v1/x`]);
  const fromHttps = await request({ ip: VARIANT_IP, port: 8080, path: '/api/v1/x', headers: { 'X-Forwarded-Proto': 'https' } });
  expect(fromHttps.status).toBe(200);
  expect(JSON.parse(fromHttps.body)).toMatchObject({ upstream: 'st2api', url: '/v1/x', headers: { 'x-forwarded-proto': 'https' } });
  expect(fromHttps.headers['strict-transport-security']).toBe('max-age=31536000');
  const inCluster = await request({ ip: VARIANT_IP, port: 8080, path: '/api/v1/x' });
  expect(inCluster.status).toBe(200);
  expect(JSON.parse(inCluster.body).headers['x-forwarded-proto']).toBe('http');
  expect(inCluster.headers['strict-transport-security']).toBeUndefined();
});

test('a Service missing from DNS fails only its route (502), nginx keeps serving', async () => {
  expect((await request({ ip: VARIANT_IP, port: 8080, path: '/mistral/v2/workbooks' })).status).toBe(502);
  expect((await request({ ip: VARIANT_IP, port: 8080, path: '/api/v1/x' })).status).toBe(200);
});

/** The two nginx instances: the synthesized file over HTTPS, and the plain-mode variant. */
const EDGES = [
  ['the synthesized file', { ip: EDGE_IP, port: 8443, tls: true }],
  ['the variant', { ip: VARIANT_IP, port: 8080, tls: false }],
] as const;

test.each(
  EDGES.flatMap(([edge, target]) =>
    [
      ['/api/stream', '/v1/stream'],
      ['/api/stream/?events=st2.test', '/v1/stream?events=st2.test'],
      ['/api/v1/stream', '/v1/stream'],
      ['/api/v1/stream/?events=st2.test', '/v1/stream?events=st2.test'],
    ].map(([requestPath, upstreamPath]) => [edge, requestPath, upstreamPath, target] as const),
  ),
)('%s: the old stream path %s reaches st2stream as %s', async (_edge, requestPath, upstreamPath, target) => {
  const reply = await request({ ...target, path: requestPath, headers: { Accept: 'text/event-stream' }, headersOnly: true });
  expect(reply.status).toBe(200);
  expect(reply.headers['x-upstream-url']).toBe(upstreamPath);
  expect(reply.headers['content-type']).toBe('text/event-stream');
});

test('variant: st2api not answering within the read timeout (1 s) gives a 504 in JSON', async () => {
  const reply = await request({ ip: VARIANT_IP, port: 8080, path: '/api/v1/silent', timeoutMs: 5000 });
  expect(reply.status).toBe(504);
  expect(reply.headers['content-type']).toBe('application/json');
  expect(JSON.parse(reply.body).faultstring).toContain('st2api did not answer in time (connect 1 s, read 1 s)');
});

test('with st2stream down, /stream answers 200 text/event-stream "retry: 1000"', async () => {
  const stream = servers[Object.keys(UPSTREAMS).indexOf('st2stream')];
  stream.closeAllConnections();
  await new Promise<void>((resolve) => stream.close(() => resolve()));
  const reply = await request({ ip: EDGE_IP, port: 8443, path: '/stream/v1/stream', tls: true });
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toBe('text/event-stream');
  expect(reply.body).toBe('retry: 1000\n\n');
  // The other routes are unaffected.
  expect((await request({ ip: EDGE_IP, port: 8443, path: '/api/v1/x', tls: true })).status).toBe(200);
});

test.each(EDGES)('with st2api and st2auth down, %s answers /api and /auth with 503 and a JSON faultstring', async (_edge, target) => {
  for (const name of ['st2api', 'st2auth'] as const) {
    const server = servers[Object.keys(UPSTREAMS).indexOf(name)];
    if (!server.listening) continue;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  for (const [requestPath, name] of [
    ['/api/v1/actions?limit=5', 'st2api'],
    ['/auth/v1/tokens', 'st2auth'],
  ]) {
    const reply = await request({ ...target, path: requestPath, headers: { Authorization: 'Basic c3QyYWRtaW46eA==' } });
    expect([requestPath, reply.status, reply.headers['content-type']]).toEqual([requestPath, 503, 'application/json']);
    expect(JSON.parse(reply.body).faultstring).toContain(`nginx could not reach ${name}`);
    // The named location adds no header of its own, so the server's security headers stay.
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  }
});

endTrackedChildren();
