import type { ServiceEndpoint } from '../config/endpoints';
import type { EdgeTlsMode, NginxTimeouts } from '../config/edge';
import { SettingError, requireInteger } from '../common/errors';

/**
 * Pure renderer of the edge's nginx.conf: typed data in, text out. The same function feeds
 * the `nginx-config` ConfigMap and the real-server test (__tests__/servers/nginx.test.ts).
 *
 * Routes follow StackStorm's own nginx config (st2 conf/nginx/st2.conf): `/api/` -> st2api,
 * `/auth/` -> st2auth, `/stream/` -> st2stream (SSE, never buffered), optionally
 * `/mistral/` -> mistral-api, and `/` -> the st2web static UI. Each prefix is stripped.
 * Like that config, the old stream paths `/api/stream` and `/api/vN/stream` go to st2stream,
 * and st2api and st2auth answer their outages in JSON, which the st2 CLI can read.
 */

/** One Kubernetes Service the edge proxies to. */
export type EdgeUpstream = ServiceEndpoint;

/** Every Service the edge routes to. */
export interface EdgeUpstreams {
  /** st2api (9101), behind `/api/`. */
  readonly api: EdgeUpstream;
  /** st2auth (9100), behind `/auth/`. */
  readonly auth: EdgeUpstream;
  /** st2stream (9102), behind `/stream/`. */
  readonly stream: EdgeUpstream;
  /** st2web (80), behind `/`. */
  readonly web: EdgeUpstream;
  /** mistral-api (8989), behind `/mistral/`; only in the legacy (st2 2.x) topology. @default no route */
  readonly mistral?: EdgeUpstream;
}

export const NGINX_TIMEOUT_DEFAULTS: Required<NginxTimeouts> = {
  connectSeconds: 5,
  apiReadSeconds: 90,
  authReadSeconds: 90,
  streamReadSeconds: 200,
  webReadSeconds: 60,
  sendSeconds: 60,
};

/** Ports nginx listens on inside the pod: all above 1024, so it needs no root and no capability. */
export interface NginxPorts {
  /** Plain HTTP. @default 8080 */
  readonly http?: number;
  /** HTTPS (terminate mode only). @default 8443 */
  readonly https?: number;
  /** The health server the kubelet probes; never exposed by the Service. @default 8081 */
  readonly health?: number;
}

export const NGINX_PORT_DEFAULTS: Required<NginxPorts> = { http: 8080, https: 8443, health: 8081 };

/** The file paths nginx needs inside the pod. */
export interface NginxPaths {
  /** A writable directory (an emptyDir) for the pid file and the five temp paths, so the root filesystem can stay read-only. @default '/tmp' */
  readonly writableDir?: string;
  /** Certificate chain, as mounted from the Secret's `tls.crt`. @default '/etc/nginx/tls/tls.crt' */
  readonly certificate?: string;
  /** Private key, as mounted from the Secret's `tls.key`. @default '/etc/nginx/tls/tls.key' */
  readonly certificateKey?: string;
}

export const NGINX_PATH_DEFAULTS: Required<NginxPaths> = {
  writableDir: '/tmp',
  certificate: '/etc/nginx/tls/tls.crt',
  certificateKey: '/etc/nginx/tls/tls.key',
};

/** Everything nginx.conf is made from. */
export interface NginxConfSettings {
  /** The Services behind each route. */
  readonly upstreams: EdgeUpstreams;
  /**
   * DNS servers nginx asks, per request, for the upstreams' addresses: IPs or host names,
   * each with an optional `:port`. A host name here is resolved once at start by the
   * system resolver (so inside a pod the cluster DNS Service name works); the upstream
   * names are then resolved by nginx itself, which is what lets nginx start while a
   * Service does not exist yet (that route answers 502 until it does).
   */
  readonly resolvers: readonly string[];
  /** Seconds nginx caches an answer (ClusterIPs rarely change). @default 30 */
  readonly resolverValidSeconds?: number;
  /** Also look up IPv6 addresses (dual-stack or IPv6 clusters). @default false */
  readonly resolverIpv6?: boolean;
  /** TLS mode. */
  readonly tlsMode: EdgeTlsMode;
  /** `Strict-Transport-Security` max-age; 0 sends no HSTS header. @default 31536000 (one year) */
  readonly hstsMaxAgeSeconds?: number;
  /** st2stream's `[stream] heartbeat`, which the stream read timeout must exceed. */
  readonly streamHeartbeatSeconds: number;
  readonly timeouts?: NginxTimeouts;
  readonly ports?: NginxPorts;
  readonly paths?: NginxPaths;
  /** Path of the health location on the health port. @default '/healthz' */
  readonly healthPath?: string;
  /** Worker processes; `auto` would count the node's CPUs, not the pod's. @default 2 */
  readonly workerProcesses?: number;
  /** Connections per worker; every proxied request holds two (client and upstream). @default 4096 */
  readonly workerConnections?: number;
  /**
   * Seconds a stopping worker waits for open connections before closing them. Event
   * streams never end on their own; closing them lets browsers reconnect to another pod
   * (they retry after 1 s) before the kubelet's SIGKILL. @default 20
   */
  readonly shutdownTimeoutSeconds?: number;
  /** Largest request body accepted (pack and action payloads). @default '10m' */
  readonly clientMaxBodySize?: string;
}

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})(\.(25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})){3}$/;
const RESOLVER = /^(\[[0-9a-fA-F:]+\]|[^:\s]+)(:[0-9]{1,5})?$/;
const SIZE = /^[0-9]+[kmg]?$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._/-]*$/;

function checkUpstream(upstream: EdgeUpstream, setting: string): void {
  if (!DNS_NAME.test(upstream.host) || !upstream.host.includes('.')) {
    throw new SettingError(
      `${setting}.host`,
      `${JSON.stringify(upstream.host)} is not a fully qualified DNS name`,
      'give the Service FQDN, e.g. st2api.stackstorm.svc.cluster.local (nginx applies no search domains)',
    );
  }
  requireInteger(upstream.port, `${setting}.port`, 1, 65535);
}

function checkResolver(resolver: string, setting: string): void {
  const match = RESOLVER.exec(resolver);
  const host = match?.[1] ?? '';
  const valid =
    !!match &&
    (host.startsWith('[') || IPV4.test(host) || DNS_NAME.test(host)) &&
    (match[2] === undefined || (Number(match[2].slice(1)) >= 1 && Number(match[2].slice(1)) <= 65535));
  if (!valid) {
    throw new SettingError(
      setting,
      `${JSON.stringify(resolver)} is not a DNS server address`,
      'give an IP (10.96.0.10), [IPv6] or host name, optionally with :port, e.g. kube-dns.kube-system.svc.cluster.local',
    );
  }
}

/**
 * nginx.conf as data: a directive is its words without the `;`, a block is its head and its
 * body. {@link renderNginxEntries} does the indentation and the punctuation, so no renderer
 * writes either by hand.
 */
type NginxEntry = string | NginxBlock;

interface NginxBlock {
  /** What comes before `{`, e.g. `server`, `location /api/`, `if ($x = y)`. */
  readonly head: string;
  readonly body: readonly NginxEntry[];
}

function block(head: string, ...body: (NginxEntry | readonly NginxEntry[])[]): NginxBlock {
  return { head, body: body.flat() };
}

/** Lines of nginx.conf for `entries`, each block's body indented two spaces deeper. */
function renderNginxEntries(entries: readonly NginxEntry[], depth = 0): string[] {
  const indent = '  '.repeat(depth);
  return entries.flatMap((entry) =>
    typeof entry === 'string' ? [`${indent}${entry};`] : [`${indent}${entry.head} {`, ...renderNginxEntries(entry.body, depth + 1), `${indent}}`],
  );
}

/** Quotes a value for nginx.conf (its parser knows \", \\ and \n inside double quotes). */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * An answer nginx gives in place of its own HTML error page, from a named location that the
 * route's `error_page` points to. It replaces only errors nginx itself generates (no
 * connection, a timeout): an upstream's own error responses pass through unchanged.
 */
interface Fallback {
  /** The nginx status it replaces: 502 (the upstream could not be reached) or 504 (it did not answer in time). */
  readonly replaces: 502 | 504;
  /** Name of the named location, without `@`. */
  readonly name: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** The location block of a fallback; it adds no header, so it keeps the server's security headers. */
function fallbackLocation(fallback: Fallback): NginxBlock {
  return block(`location @${fallback.name}`, `default_type ${fallback.contentType}`, `return ${fallback.status} ${quote(fallback.body)}`);
}

/** A JSON error in StackStorm's own shape, whose `faultstring` the st2 CLI prints. */
function jsonFault(replaces: Fallback['replaces'], name: string, status: number, faultstring: string): Fallback {
  return { replaces, name, status, contentType: 'application/json', body: JSON.stringify({ faultstring }) };
}

/**
 * The fallbacks of an API route (st2api, st2auth). nginx's HTML error page would leave the
 * st2 CLI with a parse error instead of a cause:
 * - 502 (Service missing, no ready pod, connection refused or reset) becomes a 503, as in
 *   StackStorm's config: the request did not reach the service, so a retry is safe;
 * - 504 stays a 504: after a read timeout the service may still have carried the request
 *   out (an action run, say), and a 503 would invite a blind retry.
 */
function apiFallbacks(service: string, connectSeconds: number, readSeconds: number): Fallback[] {
  return [
    jsonFault(
      502,
      `${service}_unavailable`,
      503,
      `nginx could not reach ${service}: check that the ${service} pods are running and ready and that the ${service} Service exists.`,
    ),
    jsonFault(
      504,
      `${service}_timeout`,
      504,
      `${service} did not answer in time (connect ${connectSeconds} s, read ${readSeconds} s), so the request may or may not have been carried out: check the ${service} pods' logs and load before retrying.`,
    ),
  ];
}

/** `error_page` lines sending a route's nginx-generated errors to its fallbacks. */
function errorPages(fallbacks: readonly Fallback[]): string[] {
  return fallbacks.map((fallback) => `error_page ${fallback.replaces} = @${fallback.name}`);
}

/**
 * Server-level rewrites of the stream's old paths, as in StackStorm's config: `/api/stream`
 * and `/api/vN/stream` (optional trailing slash; query string kept) become `/stream/v1/stream`
 * and `/stream/vN/stream`. They run before a location is chosen, so the `/stream/` route,
 * with its timeouts and fallback, serves them; `break` ends the server-level rewrites only.
 */
function streamCompatRewrites(): string[] {
  return ['rewrite ^/api/stream/?$ /stream/v1/stream break', 'rewrite ^/api/(v[0-9]+)/stream/?$ /stream/$1/stream break'];
}

/** One proxied route, rendered inside its `location` block. */
interface Route {
  readonly prefix: string;
  /** nginx variable (without `$`) holding the upstream host name. */
  readonly variable: string;
  readonly upstream: EdgeUpstream;
  readonly stripPrefix: boolean;
  readonly readSeconds: number;
  /** Pass responses through as they arrive (API answers and event streams). */
  readonly unbuffered: boolean;
  readonly extra?: readonly string[];
  /** Answers replacing nginx's error pages on this route. */
  readonly fallbacks?: readonly Fallback[];
}

/** Settings with their defaults filled in, each checked: a SettingError (paths under `edge.`) names the first bad one. */
function resolveNginxConfSettings(settings: NginxConfSettings) {
  const timeouts = { ...NGINX_TIMEOUT_DEFAULTS, ...settings.timeouts };
  const ports = { ...NGINX_PORT_DEFAULTS, ...settings.ports };
  const paths = { ...NGINX_PATH_DEFAULTS, ...settings.paths };
  const healthPath = settings.healthPath ?? '/healthz';
  const hsts = settings.hstsMaxAgeSeconds ?? 31536000;
  const workerProcesses = settings.workerProcesses ?? 2;
  const workerConnections = settings.workerConnections ?? 4096;
  const shutdownTimeout = settings.shutdownTimeoutSeconds ?? 20;
  const bodySize = settings.clientMaxBodySize ?? '10m';
  const resolverValid = settings.resolverValidSeconds ?? 30;

  for (const [key, value] of Object.entries(timeouts)) requireInteger(value, `edge.timeouts.${key}`, 1, 86400);
  requireInteger(settings.streamHeartbeatSeconds, 'stream.heartbeatSeconds', 1);
  if (timeouts.streamReadSeconds <= settings.streamHeartbeatSeconds) {
    throw new SettingError(
      'edge.timeouts.streamReadSeconds',
      `${timeouts.streamReadSeconds} s is not longer than st2stream's ${settings.streamHeartbeatSeconds} s heartbeat, so nginx would cut idle event streams between two heartbeats`,
      `set it above ${settings.streamHeartbeatSeconds}, e.g. the default 200`,
    );
  }
  for (const [key, value] of Object.entries(ports)) requireInteger(value, `edge.ports.${key}`, 1025, 65535);
  if (new Set(Object.values(ports)).size !== 3) {
    throw new SettingError(
      'edge.ports',
      `http ${ports.http}, https ${ports.https} and health ${ports.health} are not distinct`,
      'give each listener its own port',
    );
  }
  requireInteger(hsts, 'edge.tls.hstsMaxAgeSeconds', 0);
  requireInteger(workerProcesses, 'edge.workerProcesses', 1, 64);
  requireInteger(workerConnections, 'edge.workerConnections', 64, 65535);
  requireInteger(shutdownTimeout, 'edge.shutdownTimeoutSeconds', 1);
  requireInteger(resolverValid, 'edge.resolverValidSeconds', 1);
  if (!SIZE.test(bodySize))
    throw new SettingError(
      'edge.clientMaxBodySize',
      `${JSON.stringify(bodySize)} is not an nginx size`,
      'write a number with an optional k, m or g suffix, e.g. 10m',
    );
  if (!ABSOLUTE_PATH.test(healthPath) || healthPath === '/')
    throw new SettingError('edge.healthPath', `${JSON.stringify(healthPath)} is not a dedicated path`, 'use an absolute path such as /healthz');
  for (const [key, value] of Object.entries(paths)) {
    if (!ABSOLUTE_PATH.test(value))
      throw new SettingError(`edge.paths.${key}`, `${JSON.stringify(value)} is not an absolute path`, 'use an absolute path without spaces');
  }
  if (settings.resolvers.length === 0) {
    throw new SettingError(
      'edge.resolvers',
      'no DNS server given',
      'name the cluster DNS Service, e.g. kube-dns.kube-system.svc.cluster.local, or its ClusterIP',
    );
  }
  settings.resolvers.forEach((resolver, index) => checkResolver(resolver, `edge.resolvers[${index}]`));
  const { upstreams } = settings;
  for (const key of ['api', 'auth', 'stream', 'web', 'mistral'] as const) {
    const upstream = upstreams[key];
    if (upstream) checkUpstream(upstream, `edge.upstreams.${key}`);
  }

  return { timeouts, ports, paths, healthPath, hsts, workerProcesses, workerConnections, shutdownTimeout, bodySize, resolverValid, upstreams };
}

/**
 * Renders nginx.conf. Throws SettingError (paths under `edge.`) for invalid settings, so a
 * bad value stops synth instead of crash-looping nginx.
 */
export function renderNginxConf(settings: NginxConfSettings): string {
  const { timeouts, ports, paths, healthPath, hsts, workerProcesses, workerConnections, shutdownTimeout, bodySize, resolverValid, upstreams } =
    resolveNginxConfSettings(settings);
  const terminate = settings.tlsMode === 'terminate';
  const tmp = paths.writableDir.replace(/\/+$/, '');
  const routes: Route[] = [
    {
      prefix: '/api/',
      variable: 'st2api',
      upstream: upstreams.api,
      stripPrefix: true,
      readSeconds: timeouts.apiReadSeconds,
      unbuffered: true,
      fallbacks: apiFallbacks('st2api', timeouts.connectSeconds, timeouts.apiReadSeconds),
    },
    {
      prefix: '/auth/',
      variable: 'st2auth',
      upstream: upstreams.auth,
      stripPrefix: true,
      readSeconds: timeouts.authReadSeconds,
      unbuffered: true,
      // nginx forwards client headers anyway; stating it keeps the credentials flowing
      // if a proxy_set_header is ever added at a higher level.
      extra: ['proxy_set_header Authorization $http_authorization'],
      fallbacks: apiFallbacks('st2auth', timeouts.connectSeconds, timeouts.authReadSeconds),
    },
    {
      prefix: '/stream/',
      variable: 'st2stream',
      upstream: upstreams.stream,
      stripPrefix: true,
      readSeconds: timeouts.streamReadSeconds,
      unbuffered: true,
      // A 502 (st2stream down or its Service missing) answers an empty event stream whose
      // `retry` tells the browser's EventSource to reconnect after 1 s instead of giving up.
      fallbacks: [{ replaces: 502, name: 'stream_unavailable', status: 200, contentType: 'text/event-stream', body: 'retry: 1000\n\n' }],
    },
  ];
  if (upstreams.mistral) {
    routes.push({
      prefix: '/mistral/',
      variable: 'mistral_api',
      upstream: upstreams.mistral,
      stripPrefix: true,
      readSeconds: timeouts.webReadSeconds,
      unbuffered: true,
    });
  }
  routes.push({ prefix: '/', variable: 'st2web', upstream: upstreams.web, stripPrefix: false, readSeconds: timeouts.webReadSeconds, unbuffered: false });

  const forwardedProto = terminate ? '$scheme' : '$edge_forwarded_proto';
  const location = (route: Route): NginxBlock =>
    block(
      `location ${route.prefix}`,
      // `set` comes before `rewrite ... break`, which stops the rewrite module's directives.
      `set $${route.variable} ${route.upstream.host}`,
      route.stripPrefix ? [`rewrite ^${route.prefix.replace(/\/$/, '')}/(.*)$ /$1 break`] : [],
      // A variable in proxy_pass makes nginx resolve the name per request through `resolver`:
      // a Service that does not exist yet fails its route (502), not nginx's start.
      `proxy_pass http://$${route.variable}:${route.upstream.port}`,
      'proxy_http_version 1.1',
      "proxy_set_header Connection ''",
      'proxy_set_header Host $host',
      'proxy_set_header X-Real-IP $remote_addr',
      'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for',
      `proxy_set_header X-Forwarded-Proto ${forwardedProto}`,
      'proxy_redirect off',
      `proxy_connect_timeout ${timeouts.connectSeconds}s`,
      `proxy_send_timeout ${timeouts.sendSeconds}s`,
      `proxy_read_timeout ${route.readSeconds}s`,
      // Hand every chunk to the client as it arrives: SSE events must not wait in a buffer.
      route.unbuffered ? ['proxy_buffering off', 'proxy_cache off', 'chunked_transfer_encoding off'] : [],
      route.extra ?? [],
      errorPages(route.fallbacks ?? []),
    );

  const securityHeaders = [
    'add_header X-Content-Type-Options nosniff always',
    'add_header X-Frame-Options DENY always',
    // plain mode: the map leaves the value empty (no header) unless the client came over https.
    ...(hsts > 0
      ? [terminate ? `add_header Strict-Transport-Security ${quote(`max-age=${hsts}`)} always` : 'add_header Strict-Transport-Security $edge_hsts always']
      : []),
  ];
  const routeBlocks: NginxEntry[] = [
    ...streamCompatRewrites(),
    ...routes.map(location),
    ...routes.flatMap((route) => route.fallbacks ?? []).map(fallbackLocation),
  ];

  const servers: NginxBlock[] = [];
  if (terminate) {
    servers.push(block('server', `listen ${ports.http}`, 'server_name _', 'return 301 https://$host$request_uri'));
    servers.push(
      block(
        'server',
        `listen ${ports.https} ssl`,
        'server_name _',
        `ssl_certificate ${paths.certificate}`,
        `ssl_certificate_key ${paths.certificateKey}`,
        'ssl_protocols TLSv1.2 TLSv1.3',
        'ssl_prefer_server_ciphers off',
        'ssl_session_cache shared:edge_tls:10m',
        'ssl_session_timeout 1d',
        'ssl_session_tickets off',
        securityHeaders,
        routeBlocks,
      ),
    );
  } else {
    servers.push(
      block(
        'server',
        `listen ${ports.http}`,
        'server_name _',
        // Only an explicit `http` from the load balancer redirects: a request without the
        // header (in-cluster clients) is served as it came.
        block('if ($http_x_forwarded_proto = http)', 'return 301 https://$host$request_uri'),
        securityHeaders,
        routeBlocks,
      ),
    );
  }
  servers.push(
    block(
      'server',
      `listen ${ports.health}`,
      'server_name _',
      'access_log off',
      block(`location = ${healthPath}`, 'default_type text/plain', `return 200 ${quote('ok\n')}`),
      block('location /', 'return 404'),
    ),
  );

  const maps: NginxBlock[] = terminate
    ? []
    : [
        // Behind a TLS-terminating load balancer the scheme nginx sees is always http; the
        // client's scheme is the one the load balancer reports.
        block('map $http_x_forwarded_proto $edge_forwarded_proto', 'default $http_x_forwarded_proto', "'' $scheme"),
        ...(hsts > 0 ? [block('map $http_x_forwarded_proto $edge_hsts', `https ${quote(`max-age=${hsts}`)}`, "default ''")] : []),
      ];

  const conf: NginxEntry[] = [
    'daemon off',
    `worker_processes ${workerProcesses}`,
    `worker_shutdown_timeout ${shutdownTimeout}s`,
    `pid ${tmp}/nginx.pid`,
    'error_log stderr warn',
    block('events', `worker_connections ${workerConnections}`),
    block(
      'http',
      'default_type application/octet-stream',
      'access_log /dev/stdout',
      'server_tokens off',
      'sendfile on',
      'keepalive_timeout 65s',
      `client_max_body_size ${bodySize}`,
      `client_body_temp_path ${tmp}/client_body`,
      `proxy_temp_path ${tmp}/proxy`,
      `fastcgi_temp_path ${tmp}/fastcgi`,
      `uwsgi_temp_path ${tmp}/uwsgi`,
      `scgi_temp_path ${tmp}/scgi`,
      `resolver ${settings.resolvers.join(' ')} valid=${resolverValid}s ipv6=${settings.resolverIpv6 ? 'on' : 'off'}`,
      'resolver_timeout 5s',
      maps,
      servers,
    ),
  ];
  return ['# StackStorm edge: generated by lib/edge/nginx-conf.ts; edit the settings, not this file.', ...renderNginxEntries(conf), ''].join('\n');
}
