import { serverAccountOf } from '../images/image-model';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { k8s } from '../../imports/k8s';
import { check, requireInteger, SettingError } from '../common/errors';
import { componentLabels, DEFAULT_CLUSTER_DOMAIN, labelAll, ReleaseIdentity, selectorLabels } from '../common/meta';
import { toContainerResources } from '../common/resources';
import {
  checkPlacement,
  containerSecurity,
  imageReference,
  ImageSettings,
  mergePlacement,
  patchPodSpec,
  PlacementSettings,
  podSecurity,
  pullPolicy,
  RunAs,
  selectByLabels,
  spreadFor,
} from '../common/workload';
import { DisruptionBudget } from '../common/disruption-budget';
import { contentHash } from '../common/hash';
import { EdgeUpstreams, NGINX_PATH_DEFAULTS, NGINX_PORT_DEFAULTS, renderNginxConf } from './nginx-conf';
import { NginxSettings } from '../config/edge';
import { ComponentProfile, declareProfile } from '../common/component-profile';

/** The pinned non-root nginx image: nginx 1.27.3 running as UID/GID 101, no capabilities needed. */
export const NGINX_IMAGE: ImageSettings = { registry: 'docker.io/nginxinc', repository: 'nginx-unprivileged', tag: '1.27.3' };
/** UID and GID of the `nginx` user in nginxinc/nginx-unprivileged. */
export const NGINX_USER: RunAs = serverAccountOf('nginx-unprivileged');
/** Where the ConfigMap with nginx.conf is mounted. */
export const NGINX_CONFIG_DIR = '/etc/nginx/edge';

/** Props of {@link Nginx}. */
export interface NginxProps {
  readonly identity: ReleaseIdentity;
  /** The Services behind each route, as fully qualified names. */
  readonly upstreams: EdgeUpstreams;
  /** st2stream's heartbeat, which the stream read timeout must exceed. */
  readonly streamHeartbeatSeconds: number;
  /** Host of the public URL (the Ingress host by default). */
  readonly publicHost: string;
  /** Spreading across nodes and zones. @default preferred node spread */
  readonly placement?: PlacementSettings;
  /** The edge settings. @default all defaults (TLS from Secret `st2-tls`, 2 replicas, LoadBalancer) */
  readonly settings?: NginxSettings;
}

const NAME = 'nginx';
const PRE_STOP_SLEEP_SECONDS = 5;

/**
 * The edge goes last: its LoadBalancer Service stays Progressing in Argo CD until the cluster
 * assigns an address, which would hold back every later wave. Nothing inside the cluster needs it.
 */
export const EDGE_PROFILE: ComponentProfile = { name: 'nginx', syncStage: 'edge' };

/**
 * The edge: nginx in front of st2api, st2auth, st2stream, st2web (and mistral-api in the
 * legacy topology), as the Deployment `nginx`, ConfigMap `nginx-config`, Service `nginx`
 * (LoadBalancer), PDB `nginx` and optionally Ingress `nginx`. It runs non-root on ports
 * above 1024 with a read-only root filesystem; the Service maps 80/443 onto them.
 */
export class Nginx extends Construct {
  public readonly deployment: kplus.Deployment;
  public readonly configMap: kplus.ConfigMap;
  /** The rendered nginx.conf. */
  public readonly conf: string;
  public readonly service: k8s.KubeService;
  public readonly selector: Record<string, string>;

  constructor(scope: Construct, id: string, props: NginxProps) {
    super(scope, id);
    declareProfile(this, EDGE_PROFILE);
    const settings = props.settings ?? {};
    const replicas = settings.replicas ?? 2;
    requireInteger(replicas, 'edge.replicas', 1);
    const tlsMode = settings.tls?.mode ?? 'terminate';
    check(tlsMode === 'terminate' || tlsMode === 'plain', 'edge.tls.mode', `${JSON.stringify(tlsMode)} is not a TLS mode`, 'use terminate or plain');
    const secretName = settings.tls?.secretName ?? 'st2-tls';
    if (tlsMode === 'terminate' && !secretName) {
      throw new SettingError(
        'edge.tls.secretName',
        'TLS mode terminate names no Secret',
        'name the kubernetes.io/tls Secret you created, or set edge.tls.mode to plain when the load balancer terminates TLS',
      );
    }
    const grace = settings.terminationGracePeriodSeconds ?? 30;
    requireInteger(grace, 'edge.terminationGracePeriodSeconds', PRE_STOP_SLEEP_SECONDS + 11);
    const ingress = settings.ingress ?? {};
    if (ingress.enabled && settings.service?.type === 'LoadBalancer') {
      throw new SettingError(
        'edge.service.type',
        'a LoadBalancer Service beside the Ingress is a second public endpoint that bypasses the Ingress (its TLS, its access rules)',
        'leave edge.service.type out (with the Ingress it defaults to ClusterIP), or turn the Ingress off',
      );
    }
    // With an Ingress, it is the public endpoint: the Service only has to be reachable by the controller.
    const serviceType = settings.service?.type ?? (ingress.enabled ? 'ClusterIP' : 'LoadBalancer');
    if (ingress.enabled && tlsMode === 'terminate') {
      throw new SettingError(
        'edge.ingress.enabled',
        'an Ingress controller cannot forward to a port that only redirects to HTTPS',
        'set edge.tls.mode to plain (the Ingress terminates TLS), or turn the Ingress off',
      );
    }
    if (settings.service?.loadBalancerSourceRanges?.length && serviceType !== 'LoadBalancer') {
      throw new SettingError(
        'edge.service.loadBalancerSourceRanges',
        `source ranges apply only to a LoadBalancer Service, not ${serviceType}`,
        'remove them or set edge.service.type to LoadBalancer',
      );
    }
    const image: ImageSettings = { ...NGINX_IMAGE, ...settings.image };
    const imageRef = imageReference(image, 'edge.image');

    this.conf = renderNginxConf({
      upstreams: props.upstreams,
      resolvers: settings.resolvers ?? [`kube-dns.kube-system.svc.${props.identity.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN}`],
      tlsMode,
      hstsMaxAgeSeconds: settings.tls?.hstsMaxAgeSeconds,
      streamHeartbeatSeconds: props.streamHeartbeatSeconds,
      timeouts: settings.timeouts,
      clientMaxBodySize: settings.clientMaxBodySize,
      // Close lingering event streams before the kubelet's SIGKILL, after the preStop pause.
      shutdownTimeoutSeconds: grace - PRE_STOP_SLEEP_SECONDS - 10,
    });

    this.selector = selectorLabels(props.identity, NAME);
    const labels = componentLabels(props.identity, NAME, 'edge', image.tag);
    this.configMap = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: `${NAME}-config` },
      data: { 'nginx.conf': this.conf },
    });

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: NAME },
      replicas,
      select: false,
      spread: false,
      automountServiceAccountToken: false,
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
      securityContext: podSecurity(NGINX_USER),
      terminationGracePeriod: Duration.seconds(grace),
      // A changed nginx.conf rolls the pods: nginx reads its file only at start.
      podMetadata: { annotations: { 'checksum/config': contentHash({ 'nginx.conf': this.conf }) } },
    });
    selectByLabels(this.deployment, this.selector, labels);

    const healthProbe = (period: number, failures: number) =>
      kplus.Probe.fromHttpGet('/healthz', {
        port: NGINX_PORT_DEFAULTS.health,
        periodSeconds: Duration.seconds(period),
        failureThreshold: failures,
        timeoutSeconds: Duration.seconds(2),
      });
    const ports = [{ number: NGINX_PORT_DEFAULTS.http, name: 'http' }];
    if (tlsMode === 'terminate') ports.push({ number: NGINX_PORT_DEFAULTS.https, name: 'https' });
    ports.push({ number: NGINX_PORT_DEFAULTS.health, name: 'health' });
    const container = this.deployment.addContainer({
      name: NAME,
      image: imageRef,
      imagePullPolicy: pullPolicy(image),
      // Straight to nginx, past the image's entrypoint scripts: they rewrite files under
      // /etc/nginx, which is read-only here, and our whole config is the one file.
      command: ['nginx', '-c', `${NGINX_CONFIG_DIR}/nginx.conf`, '-e', 'stderr'],
      ports,
      resources: toContainerResources(settings.resources ?? { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '256Mi' }, 'edge.resources'),
      securityContext: containerSecurity(NGINX_USER),
      // Ready within 10 s of starting to answer; restarted only after 30 s of silence.
      readiness: healthProbe(5, 2),
      liveness: healthProbe(10, 3),
      // Keep serving while the endpoint leaves the Service and the load balancer's targets;
      // then the image's stop signal (SIGQUIT) drains connections gracefully.
      lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', String(PRE_STOP_SLEEP_SECONDS)]) },
    });
    container.mount(NGINX_CONFIG_DIR, kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'nginx-config' }), { readOnly: true });
    // pid file and temp paths (nginx-conf.ts puts them under /tmp).
    container.mount(NGINX_PATH_DEFAULTS.writableDir, kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(256) }));
    if (tlsMode === 'terminate') {
      const secret = kplus.Secret.fromSecretName(this, 'TlsSecret', secretName);
      container.mount(
        '/etc/nginx/tls',
        kplus.Volume.fromSecret(this, 'TlsVolume', secret, {
          name: 'tls',
          defaultMode: 0o440,
          items: { 'tls.crt': { path: 'tls.crt' }, 'tls.key': { path: 'tls.key' } },
        }),
        { readOnly: true },
      );
    }
    checkPlacement(settings.placement, 'edge.placement');
    const placement = mergePlacement(props.placement, settings.placement);
    patchPodSpec(this.deployment, { selector: this.selector, spread: spreadFor(replicas, placement), placement });

    const loadBalancer = serviceType === 'LoadBalancer';
    const servicePorts: k8s.ServicePort[] = [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromNumber(NGINX_PORT_DEFAULTS.http), protocol: 'TCP' }];
    if (tlsMode === 'terminate')
      servicePorts.push({ name: 'https', port: 443, targetPort: k8s.IntOrString.fromNumber(NGINX_PORT_DEFAULTS.https), protocol: 'TCP' });
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: { name: NAME, annotations: settings.service?.annotations },
      spec: {
        type: serviceType,
        selector: this.selector,
        ports: servicePorts,
        externalTrafficPolicy: loadBalancer ? (settings.service?.externalTrafficPolicy ?? 'Local') : undefined,
        loadBalancerSourceRanges: settings.service?.loadBalancerSourceRanges ? [...settings.service.loadBalancerSourceRanges] : undefined,
      },
    });

    if (ingress.enabled) {
      const host = ingress.host ?? props.publicHost;
      new k8s.KubeIngress(this, 'Ingress', {
        metadata: { name: NAME, annotations: ingress.annotations },
        spec: {
          ingressClassName: ingress.className,
          tls: ingress.tlsSecretName ? [{ hosts: [host], secretName: ingress.tlsSecretName }] : undefined,
          rules: [
            {
              host,
              http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: NAME, port: { name: 'http' } } } }] },
            },
          ],
        },
      });
    }
    if (replicas >= 2) new DisruptionBudget(this, 'DisruptionBudget', { name: NAME, selector: this.selector, replicas });
    labelAll(this, labels);
  }
}
