import { contentHash } from '../../lib/common/hash';
import { SYNC_STAGES } from '../../lib/policy/sync-waves';
import { expectSettingError } from '../support/errors';
import { validateAll } from '../support/k8s-schema';
import { container, find, synth } from '../support/synth';

const edgeKinds = (objects: ReturnType<typeof synth>) =>
  objects
    .filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'nginx' || o.metadata.labels?.['app.kubernetes.io/name'] === 'st2web')
    .map((o) => `${o.kind}/${o.metadata.name}`)
    .sort();

describe('default edge', () => {
  const objects = synth();
  const deployment = find(objects, 'Deployment', 'nginx');
  const pod = deployment.spec.template.spec;
  const nginx = container(deployment, 'nginx');
  const config = find(objects, 'ConfigMap', 'nginx-config');

  test('objects: Deployment, ConfigMap, Service, PDB for nginx; Deployment, Service, PDB for st2web; no Ingress', () => {
    expect(edgeKinds(objects)).toEqual([
      'ConfigMap/nginx-config',
      'Deployment/nginx',
      'Deployment/st2web',
      'PodDisruptionBudget/nginx',
      'PodDisruptionBudget/st2web',
      'Service/nginx',
      'Service/st2web',
    ]);
    expect(objects.some((o) => o.kind === 'Ingress')).toBe(false);
  });

  test('every object is valid against Kubernetes 1.27 and 1.36', () => {
    expect(validateAll(objects.filter((o) => ['nginx', 'st2web'].includes(o.metadata.labels?.['app.kubernetes.io/name'] ?? '')))).toEqual([]);
  });

  test('nginx runs non-root from a pinned image, read-only, no capabilities, reading the ConfigMap', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(nginx.image).toBe('docker.io/nginxinc/nginx-unprivileged:1.27.3');
    expect(nginx.command).toEqual(['nginx', '-c', '/etc/nginx/edge/nginx.conf', '-e', 'stderr']);
    expect(nginx.securityContext).toMatchObject({
      runAsUser: 101,
      runAsGroup: 101,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    const mounts = Object.fromEntries(nginx.volumeMounts.map((m: any) => [m.mountPath, m.name]));
    expect(mounts).toEqual({ '/etc/nginx/edge': 'nginx-config', '/tmp': 'tmp', '/etc/nginx/tls': 'tls' });
    const volumes = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v]));
    expect(volumes['nginx-config'].configMap.name).toBe('nginx-config');
    expect(volumes.tmp.emptyDir).toBeDefined();
    expect(volumes.tls.secret).toMatchObject({
      secretName: 'st2-tls',
      items: [
        { key: 'tls.crt', path: 'tls.crt' },
        { key: 'tls.key', path: 'tls.key' },
      ],
    });
    expect(nginx.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } });
  });

  test('probes hit the health location; liveness is slower than readiness', () => {
    expect(nginx.readinessProbe.httpGet).toMatchObject({ path: '/healthz', port: 8081 });
    expect(nginx.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 8081 });
    expect(nginx.livenessProbe.periodSeconds).toBeGreaterThan(nginx.readinessProbe.periodSeconds);
    expect(config.data!['nginx.conf']).toContain('location = /healthz {');
    expect(config.data!['nginx.conf']).toContain('listen 8081;');
  });

  test('the pod template carries a checksum of nginx.conf', () => {
    expect(deployment.spec.template.metadata.annotations['checksum/config']).toBe(contentHash({ 'nginx.conf': config.data!['nginx.conf'] }));
  });

  test('the routes name the Services by FQDN in the deployment namespace', () => {
    const conf = config.data!['nginx.conf'];
    for (const [name, port] of [
      ['st2api', 9101],
      ['st2auth', 9100],
      ['st2stream', 9102],
      ['st2web', 80],
    ] as const) {
      expect(conf).toContain(`set $${name} ${name}.stackstorm.svc.cluster.local;`);
      expect(conf).toContain(`proxy_pass http://$${name}:${port};`);
    }
    expect(conf).toContain('resolver kube-dns.kube-system.svc.cluster.local');
    // grace 30 s - preStop 5 s - 10 s margin
    expect(conf).toContain('worker_shutdown_timeout 15s;');
  });

  test('Service nginx: LoadBalancer, 80/443 onto 8080/8443, client IPs kept', () => {
    const service = find(objects, 'Service', 'nginx');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.externalTrafficPolicy).toBe('Local');
    expect(service.spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
    ]);
    expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': 'nginx', 'app.kubernetes.io/instance': 'stackstorm' });
  });

  test('PDB and spread keep the edge up through drains', () => {
    expect(find(objects, 'PodDisruptionBudget', 'nginx').spec.maxUnavailable).toBe(1);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' });
  });

  test('st2web: release image as root on 80, plain HTTP, probes on /, ClusterIP, PDB', () => {
    const web = find(objects, 'Deployment', 'st2web');
    const c = container(web, 'st2web');
    expect(web.spec.replicas).toBe(2);
    expect(c.image).toBe('docker.io/stackstorm/st2web:3.9.0');
    expect(c.securityContext).toMatchObject({ runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, privileged: false });
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    expect(env).toEqual({
      ST2WEB_HTTPS: '0',
      ST2_API_URL: 'http://st2api.stackstorm.svc.cluster.local:9101/',
      ST2_AUTH_URL: 'http://st2auth.stackstorm.svc.cluster.local:9100/',
      ST2_STREAM_URL: 'http://st2stream.stackstorm.svc.cluster.local:9102/',
    });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/', port: 80 });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/', port: 80 });
    expect(c.livenessProbe.periodSeconds).toBeGreaterThan(c.readinessProbe.periodSeconds);
    const service = find(objects, 'Service', 'st2web');
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 80 }]);
    expect(find(objects, 'PodDisruptionBudget', 'st2web').spec.maxUnavailable).toBe(1);
  });
});

describe('configured edge', () => {
  test('plain mode: no TLS port, no Secret; source ranges and annotations on the Service', () => {
    const objects = synth({
      edge: {
        tls: { mode: 'plain' },
        service: { annotations: { 'example.com/lb': 'internal' }, loadBalancerSourceRanges: ['10.0.0.0/8'], externalTrafficPolicy: 'Cluster' },
      },
    });
    const service = find(objects, 'Service', 'nginx');
    expect(service.spec.ports.map((p: any) => p.port)).toEqual([80]);
    expect(service.spec.loadBalancerSourceRanges).toEqual(['10.0.0.0/8']);
    expect(service.spec.externalTrafficPolicy).toBe('Cluster');
    expect(service.metadata.annotations).toEqual({ 'example.com/lb': 'internal', 'argocd.argoproj.io/sync-wave': String(SYNC_STAGES.edge) });
    const pod = find(objects, 'Deployment', 'nginx').spec.template.spec;
    expect(pod.volumes.map((v: any) => v.name)).not.toContain('tls');
    expect(pod.containers[0].ports.map((p: any) => p.containerPort)).toEqual([8080, 8081]);
    expect(find(objects, 'ConfigMap', 'nginx-config').data!['nginx.conf']).not.toContain('ssl');
    expect(validateAll(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'nginx'))).toEqual([]);
  });

  test('Ingress (plain mode, ClusterIP Service) routes the public host to the http port', () => {
    const objects = synth({
      publicUrl: 'https://st2.example.org',
      edge: { tls: { mode: 'plain' }, service: { type: 'ClusterIP' }, ingress: { enabled: true, className: 'nginx', tlsSecretName: 'st2-public-tls' } },
    });
    const ingress = find(objects, 'Ingress', 'nginx');
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['st2.example.org'], secretName: 'st2-public-tls' }],
      rules: [
        { host: 'st2.example.org', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'nginx', port: { name: 'http' } } } }] } },
      ],
    });
    const service = find(objects, 'Service', 'nginx');
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.externalTrafficPolicy).toBeUndefined();
    expect(validateAll(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'nginx'))).toEqual([]);
  });

  test('one replica: no PDB; resolvers and timeouts reach nginx.conf', () => {
    const objects = synth({ edge: { replicas: 1, resolvers: ['10.96.0.10'], timeouts: { streamReadSeconds: 300 } } });
    expect(objects.some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'nginx')).toBe(false);
    const conf = find(objects, 'ConfigMap', 'nginx-config').data!['nginx.conf'];
    expect(conf).toContain('resolver 10.96.0.10 valid=30s ipv6=off;');
    expect(conf).toContain('proxy_read_timeout 300s;');
  });
});

describe('invalid settings', () => {
  test('replicas below 1', () => {
    expectSettingError(() => synth({ edge: { replicas: 0 } }), 'edge.replicas', /got 0/);
  });
  test('TLS terminate mode without a Secret name', () => {
    expectSettingError(() => synth({ edge: { tls: { secretName: '' } } }), 'edge.tls.secretName', /names no Secret/);
  });
  test('a stream read timeout not above the heartbeat', () => {
    expectSettingError(() => synth({ edge: { timeouts: { streamReadSeconds: 20 } } }), 'edge.timeouts.streamReadSeconds', /heartbeat/);
  });
  test('a LoadBalancer Service beside an enabled Ingress: a second public endpoint', () => {
    expectSettingError(
      () => synth({ edge: { tls: { mode: 'plain' }, service: { type: 'LoadBalancer' }, ingress: { enabled: true } } }),
      'edge.service.type',
      /bypasses the Ingress.*leave edge.service.type out/,
    );
  });
  test('with the Ingress on and no Service type, the Service is ClusterIP', () => {
    const objects = synth({ edge: { tls: { mode: 'plain' }, ingress: { enabled: true } } });
    expect(find(objects, 'Service', 'nginx').spec.type).toBe('ClusterIP');
    expect(find(objects, 'Ingress', 'nginx')).toBeDefined();
  });
  test('an Ingress in front of the TLS-terminating edge', () => {
    expectSettingError(() => synth({ edge: { ingress: { enabled: true } } }), 'edge.ingress.enabled', /set edge.tls.mode to plain/);
  });
  test('source ranges on a ClusterIP Service', () => {
    expectSettingError(
      () => synth({ edge: { tls: { mode: 'plain' }, service: { type: 'ClusterIP', loadBalancerSourceRanges: ['10.0.0.0/8'] } } }),
      'edge.service.loadBalancerSourceRanges',
      /only to a LoadBalancer/,
    );
  });
  test('a grace period too short to drain', () => {
    expectSettingError(() => synth({ edge: { terminationGracePeriodSeconds: 10 } }), 'edge.terminationGracePeriodSeconds', /got 10/);
  });
  test('an unknown TLS mode', () => {
    expectSettingError(() => synth({ edge: { tls: { mode: 'none' as never } } }), 'edge.tls.mode', /not a TLS mode/);
  });
  test('an unpinned nginx image', () => {
    expectSettingError(() => synth({ edge: { image: { tag: 'latest' } } }), 'edge.image.tag', /not a pinned tag/);
  });
  test('st2web replicas below 1', () => {
    expectSettingError(() => synth({ st2: { web: { replicas: 0 } } }), 'st2.web.replicas', /got 0/);
  });
});
