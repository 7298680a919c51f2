import { EdgeUpstreams, NginxConfSettings, renderNginxConf } from '../../lib/edge/nginx-conf';
import { expectSettingError } from '../support/errors';

const fqdn = (name: string, port: number) => ({ host: `${name}.stackstorm.svc.cluster.local`, port });
const upstreams: EdgeUpstreams = {
  api: fqdn('st2api', 9101),
  auth: fqdn('st2auth', 9100),
  stream: fqdn('st2stream', 9102),
  web: fqdn('st2web', 80),
};
const base: NginxConfSettings = {
  upstreams,
  resolvers: ['kube-dns.kube-system.svc.cluster.local'],
  tlsMode: 'terminate',
  streamHeartbeatSeconds: 25,
};

/** The body of `location <prefix> { ... }` (locations are one level deep, never nested). */
function location(conf: string, prefix: string): string {
  const start = conf.indexOf(`location ${prefix} {`);
  if (start < 0) throw new Error(`no location ${prefix}`);
  return conf.slice(start, conf.indexOf('\n    }', start));
}

function rendered(overrides: Partial<NginxConfSettings> = {}): string {
  return renderNginxConf({ ...base, ...overrides });
}

/** Status and body of the `return` in a block, the body unquoted as nginx's parser reads it. */
function returned(block: string): { status: number; body: string } {
  const match = /\n\s+return ([0-9]{3}) "((?:[^"\\]|\\.)*)";/.exec(block);
  if (!match) throw new Error(`no quoted return in ${block}`);
  return { status: Number(match[1]), body: match[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) };
}

/**
 * The URI after the server-level `rewrite` lines of the server holding the routes (4 spaces
 * deep, outside any location), applied as nginx does: in order, until one with `break` matches.
 * JavaScript regular expressions read these simple patterns as nginx's PCRE does.
 */
function afterServerRewrites(conf: string, uri: string): string {
  const firstLocation = conf.indexOf('\n    location ');
  const server = conf.slice(conf.lastIndexOf('\n  server {', firstLocation), conf.indexOf('\n  }\n', firstLocation));
  let result = uri;
  for (const [, pattern, replacement, flag] of server.matchAll(/\n    rewrite (\S+) (\S+) (\S+);/g)) {
    const regex = new RegExp(pattern);
    if (!regex.test(result)) continue;
    result = result.replace(regex, replacement);
    if (flag === 'break') break;
  }
  return result;
}

describe('routes', () => {
  const conf = rendered();

  test.each([
    ['/api/', 'st2api', 9101, '90s'],
    ['/auth/', 'st2auth', 9100, '90s'],
    ['/stream/', 'st2stream', 9102, '200s'],
  ])('%s goes to %s:%d with its prefix stripped, unbuffered, read timeout %s', (prefix, name, port, read) => {
    const body = location(conf, prefix);
    // set before rewrite...break: `break` stops later rewrite-module directives such as set.
    expect(body).toMatch(
      new RegExp(
        `set \\$${name} ${name}\\.stackstorm\\.svc\\.cluster\\.local;\\n\\s+rewrite \\^${prefix.slice(0, -1)}/\\(\\.\\*\\)\\$ /\\$1 break;\\n\\s+proxy_pass http://\\$${name}:${port};`,
      ),
    );
    expect(body).toContain(`proxy_read_timeout ${read};`);
    for (const line of [
      'proxy_buffering off;',
      'proxy_cache off;',
      'chunked_transfer_encoding off;',
      "proxy_set_header Connection '';",
      'proxy_http_version 1.1;',
      'proxy_connect_timeout 5s;',
    ]) {
      expect(body).toContain(line);
    }
  });

  test('/auth/ passes the Authorization header', () => {
    expect(location(conf, '/auth/')).toContain('proxy_set_header Authorization $http_authorization;');
  });

  test('/stream/ answers a 502 with an event stream that tells the browser to retry after 1 s', () => {
    expect(location(conf, '/stream/')).toContain('error_page 502 = @stream_unavailable;');
    const fallback = location(conf, '@stream_unavailable');
    expect(fallback).toContain('default_type text/event-stream;');
    expect(fallback).toContain('return 200 "retry: 1000\\n\\n";');
  });

  test.each([
    ['/api/', 'st2api'],
    ['/auth/', 'st2auth'],
  ])("%s answers nginx's own 502 with a 503 in JSON, whose faultstring names %s and what to check", (prefix, name) => {
    expect(location(conf, prefix)).toContain(`error_page 502 = @${name}_unavailable;`);
    const fallback = location(conf, `@${name}_unavailable`);
    expect(fallback).toContain('default_type application/json;');
    const { status, body } = returned(fallback);
    expect(status).toBe(503);
    const { faultstring } = JSON.parse(body);
    expect(faultstring).toContain(`nginx could not reach ${name}`);
    expect(faultstring).toContain(`check that the ${name} pods are running and ready`);
    // Only nginx's own errors: an upstream's error responses must pass through untouched.
    expect(conf).not.toContain('proxy_intercept_errors');
  });

  test.each([
    ['/api/', 'st2api', { apiReadSeconds: 30 }],
    ['/auth/', 'st2auth', { authReadSeconds: 40 }],
  ])("%s answers a 504 with a 504 in JSON that gives %s's timeouts and warns the request may have run", (prefix, name, timeouts) => {
    const custom = rendered({ timeouts: { ...timeouts, connectSeconds: 2 } });
    expect(location(custom, prefix)).toContain(`error_page 504 = @${name}_timeout;`);
    const fallback = location(custom, `@${name}_timeout`);
    expect(fallback).toContain('default_type application/json;');
    const { status, body } = returned(fallback);
    expect(status).toBe(504);
    const { faultstring } = JSON.parse(body);
    expect(faultstring).toContain(`${name} did not answer in time (connect 2 s, read ${Object.values(timeouts)[0]} s)`);
    expect(faultstring).toContain('may or may not have been carried out');
  });

  test('the server-level rewrites send the old stream paths, and only them, to the stream route', () => {
    const plain = rendered({ tlsMode: 'plain' });
    const cases: [string, string][] = [
      ['/api/stream', '/stream/v1/stream'],
      ['/api/stream/', '/stream/v1/stream'],
      ['/api/v1/stream', '/stream/v1/stream'],
      ['/api/v1/stream/', '/stream/v1/stream'],
      ['/api/v2/stream', '/stream/v2/stream'],
      ['/api/v10/stream', '/stream/v10/stream'],
      // Everything else under /api/ stays with st2api.
      ['/api/v1/streams', '/api/v1/streams'],
      ['/api/v1/stream/x', '/api/v1/stream/x'],
      ['/api/streamx', '/api/streamx'],
      ['/api/vx/stream', '/api/vx/stream'],
      ['/api/v1/actions', '/api/v1/actions'],
      ['/stream/v1/stream', '/stream/v1/stream'],
    ];
    for (const [uri, expected] of cases) {
      expect([uri, afterServerRewrites(conf, uri)]).toEqual([uri, expected]);
      expect([uri, afterServerRewrites(plain, uri)]).toEqual([uri, expected]);
    }
  });

  test('the old stream paths are rewritten before any location is chosen, after the plain-mode redirect', () => {
    const rewrites = ['rewrite ^/api/stream/?$ /stream/v1/stream break;', 'rewrite ^/api/(v[0-9]+)/stream/?$ /stream/$1/stream break;'];
    // Server level, right before the first location: so /stream/ (not /api/) serves them.
    expect(conf).toContain(`\n    ${rewrites.join('\n    ')}\n    location /api/ {`);
    const plain = rendered({ tlsMode: 'plain' });
    expect(plain).toContain(`\n    ${rewrites.join('\n    ')}\n    location /api/ {`);
    // `break` ends the server-level rewrites: the X-Forwarded-Proto redirect must come first.
    expect(plain.indexOf('if ($http_x_forwarded_proto = http)')).toBeLessThan(plain.indexOf(rewrites[0]));
  });

  test('/ goes to st2web on port 80 without rewriting, buffered', () => {
    const body = location(conf, '/');
    expect(body).toContain('proxy_pass http://$st2web:80;');
    expect(body).not.toContain('rewrite');
    expect(body).not.toContain('proxy_buffering off');
  });

  test('/mistral/ exists only when mistral-api is given (legacy topology)', () => {
    expect(conf).not.toContain('/mistral/');
    const legacy = rendered({ upstreams: { ...upstreams, mistral: fqdn('mistral-api', 8989) } });
    expect(location(legacy, '/mistral/')).toMatch(/rewrite \^\/mistral\/\(\.\*\)\$ \/\$1 break;\n\s+proxy_pass http:\/\/\$mistral_api:8989;/);
  });

  test('every upstream is named through a variable, resolved per request by the configured resolver', () => {
    expect(conf).toContain('resolver kube-dns.kube-system.svc.cluster.local valid=30s ipv6=off;');
    expect(conf).not.toMatch(/^\s*upstream /m);
    for (const line of conf.split('\n').filter((l) => l.includes('proxy_pass'))) expect(line).toMatch(/proxy_pass http:\/\/\$[a-z0-9_]+:[0-9]+;/);
    expect(rendered({ resolvers: ['10.96.0.10', '10.96.0.11:53'], resolverIpv6: true })).toContain('resolver 10.96.0.10 10.96.0.11:53 valid=30s ipv6=on;');
  });
});

describe('TLS', () => {
  test('terminate: 8080 only redirects, 8443 serves TLS 1.2/1.3 with security headers', () => {
    const conf = rendered();
    expect(conf).toMatch(/server \{\n\s+listen 8080;\n\s+server_name _;\n\s+return 301 https:\/\/\$host\$request_uri;\n\s+\}/);
    expect(conf).toContain('listen 8443 ssl;');
    expect(conf).toContain('ssl_protocols TLSv1.2 TLSv1.3;');
    expect(conf).toContain('ssl_certificate /etc/nginx/tls/tls.crt;');
    expect(conf).toContain('ssl_certificate_key /etc/nginx/tls/tls.key;');
    expect(conf).toContain('add_header X-Content-Type-Options nosniff always;');
    expect(conf).toContain('add_header X-Frame-Options DENY always;');
    expect(conf).toContain('add_header Strict-Transport-Security "max-age=31536000" always;');
    expect(conf).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
    // add_header in a location would silently drop the server's security headers there.
    for (const prefix of [
      '/api/',
      '/auth/',
      '/stream/',
      '/',
      '@stream_unavailable',
      '@st2api_unavailable',
      '@st2api_timeout',
      '@st2auth_unavailable',
      '@st2auth_timeout',
    ]) {
      expect(location(conf, prefix)).not.toContain('add_header');
    }
  });

  test('plain: no TLS listener; redirects only when X-Forwarded-Proto says http; HSTS only over https', () => {
    const conf = rendered({ tlsMode: 'plain' });
    expect(conf).not.toContain('ssl');
    expect(conf).not.toContain('8443');
    expect(conf).toMatch(/if \(\$http_x_forwarded_proto = http\) \{\n\s+return 301 https:\/\/\$host\$request_uri;\n\s+\}/);
    expect(conf).toMatch(/map \$http_x_forwarded_proto \$edge_hsts \{\n\s+https "max-age=31536000";\n\s+default '';\n\s+\}/);
    expect(conf).toContain('add_header Strict-Transport-Security $edge_hsts always;');
    expect(conf).toContain('proxy_set_header X-Forwarded-Proto $edge_forwarded_proto;');
  });

  test('hstsMaxAgeSeconds 0 sends no HSTS header', () => {
    expect(rendered({ hstsMaxAgeSeconds: 0 })).not.toContain('Strict-Transport-Security');
    expect(rendered({ tlsMode: 'plain', hstsMaxAgeSeconds: 0 })).not.toContain('Strict-Transport-Security');
  });
});

describe('process and paths', () => {
  const conf = rendered();

  test('a dedicated health server answers on its own port', () => {
    expect(conf).toMatch(
      /listen 8081;\n\s+server_name _;\n\s+access_log off;\n\s+location = \/healthz \{\n\s+default_type text\/plain;\n\s+return 200 "ok\\n";/,
    );
  });

  test('pid file and all five temp paths live in the writable dir, so the root filesystem can be read-only', () => {
    expect(conf).toContain('pid /tmp/nginx.pid;');
    for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) expect(conf).toMatch(new RegExp(`${temp}_temp_path /tmp/`));
    expect(conf).toContain('daemon off;');
    expect(conf).toContain('worker_processes 2;');
    expect(conf).toContain('worker_shutdown_timeout 20s;');
  });

  test('only unprivileged ports are listened on', () => {
    for (const match of conf.matchAll(/listen ([0-9]+)/g)) expect(Number(match[1])).toBeGreaterThan(1024);
  });

  test('timeouts are settings', () => {
    const custom = rendered({ timeouts: { apiReadSeconds: 30, authReadSeconds: 40, streamReadSeconds: 26, connectSeconds: 2 } });
    expect(location(custom, '/api/')).toContain('proxy_read_timeout 30s;');
    expect(location(custom, '/auth/')).toContain('proxy_read_timeout 40s;');
    expect(location(custom, '/stream/')).toContain('proxy_read_timeout 26s;');
    expect(location(custom, '/stream/')).toContain('proxy_connect_timeout 2s;');
  });

  test('the same input renders the same text', () => {
    expect(rendered()).toBe(conf);
  });
});

describe('invalid settings', () => {
  test('a stream read timeout not above the heartbeat', () => {
    expectSettingError(
      () => rendered({ timeouts: { streamReadSeconds: 25 } }),
      'edge.timeouts.streamReadSeconds',
      /not longer than st2stream's 25 s heartbeat.*Fix: set it above 25/,
    );
  });
  test('a non-integer timeout', () => {
    expectSettingError(() => rendered({ timeouts: { apiReadSeconds: 0 } }), 'edge.timeouts.apiReadSeconds', /got 0/);
  });
  test('a short upstream name', () => {
    expectSettingError(
      () => rendered({ upstreams: { ...upstreams, api: { host: 'st2api', port: 9101 } } }),
      'edge.upstreams.api.host',
      /not a fully qualified DNS name/,
    );
  });
  test('an upstream port out of range', () => {
    expectSettingError(() => rendered({ upstreams: { ...upstreams, web: { host: 'st2web.x.svc', port: 70000 } } }), 'edge.upstreams.web.port', /got 70000/);
  });
  test('no resolver', () => {
    expectSettingError(() => rendered({ resolvers: [] }), 'edge.resolvers', /no DNS server given/);
  });
  test('a malformed resolver', () => {
    expectSettingError(() => rendered({ resolvers: ['10.96.0.10:99999'] }), 'edge.resolvers[0]', /not a DNS server address/);
    expectSettingError(() => rendered({ resolvers: ['kube dns'] }), 'edge.resolvers[0]', /not a DNS server address/);
  });
  test('a privileged or duplicate port', () => {
    expectSettingError(() => rendered({ ports: { http: 80 } }), 'edge.ports.http', /got 80/);
    expectSettingError(() => rendered({ ports: { http: 8081 } }), 'edge.ports', /not distinct/);
  });
  test('a body size nginx cannot read', () => {
    expectSettingError(() => rendered({ clientMaxBodySize: '10MB' }), 'edge.clientMaxBodySize', /not an nginx size/);
  });
  test('a health path that is not dedicated', () => {
    expectSettingError(() => rendered({ healthPath: '/' }), 'edge.healthPath', /not a dedicated path/);
  });
  test('a relative writable dir', () => {
    expectSettingError(() => rendered({ paths: { writableDir: 'tmp' } }), 'edge.paths.writableDir', /not an absolute path/);
  });
});
