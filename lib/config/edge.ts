import { ResourceSettings } from '../common/resources';
import { ImageSettings, PlacementSettings } from '../common/workload';

/** TLS at the edge. */
export interface EdgeTlsSettings {
  /** `terminate`: nginx serves HTTPS from `secretName`; `plain`: the load balancer or Ingress terminates TLS. @default 'terminate' */
  readonly mode?: EdgeTlsMode;
  /** A `kubernetes.io/tls` Secret (keys `tls.crt`, `tls.key`) the user creates; only its name is referenced. @default 'st2-tls' */
  readonly secretName?: string;
  /**
   * HSTS max-age in seconds; 0 sends none. @default 31536000
   * @asType integer
   * @minimum 0
   */
  readonly hstsMaxAgeSeconds?: number;
}

/** The edge's Service. */
export interface EdgeServiceSettings {
  /**
   * `LoadBalancer` for a cloud load balancer; `ClusterIP` when an Ingress fronts the edge (a
   * LoadBalancer beside an enabled Ingress is refused: a second, unguarded public endpoint).
   * @default 'LoadBalancer', or 'ClusterIP' with `ingress.enabled`
   */
  readonly type?: 'LoadBalancer' | 'ClusterIP';
  /** Annotations for the cloud's load balancer controller (scheme, TLS, health checks). @default none */
  readonly annotations?: Record<string, string>;
  /** Client CIDRs the load balancer admits. @default all */
  readonly loadBalancerSourceRanges?: readonly string[];
  /**
   * `Local` sends load-balancer traffic only to nodes that run an nginx pod and skips the
   * second hop through kube-proxy, which would replace the client's address with a node's:
   * nginx then sees real client IPs (for X-Forwarded-For, logs and source ranges). Nodes
   * without a pod fail the load balancer's health check and receive nothing, which is why
   * the pods are spread across nodes. `Cluster` balances evenly but hides client IPs.
   * @default 'Local'
   */
  readonly externalTrafficPolicy?: 'Local' | 'Cluster';
}

/** An optional Ingress in front of the edge (the Ingress controller terminates TLS). */
export interface EdgeIngressSettings {
  /** Create it. @default false */
  readonly enabled?: boolean;
  /** IngressClass name. @default the cluster's default class */
  readonly className?: string;
  /** Host name. @default the host of `publicUrl` */
  readonly host?: string;
  /** Controller annotations; an nginx Ingress controller needs proxy buffering off and long read timeouts for /stream. @default none */
  readonly annotations?: Record<string, string>;
  /** `kubernetes.io/tls` Secret the controller serves. @default no TLS section */
  readonly tlsSecretName?: string;
}

/** Settings of the edge (values files map onto these). */
export interface NginxSettings {
  /** Where this workload's pods run, over the global `placement` key by key. @default the global placement */
  readonly placement?: PlacementSettings;
  /**
   * Replicas; two keep the entry point up through a node drain. @default 2
   * @asType integer
   * @minimum 1
   */
  readonly replicas?: number;
  readonly tls?: EdgeTlsSettings;
  /**
   * DNS servers nginx resolves the Services' names with, per request. The default is the
   * cluster DNS Service under its conventional name, which the pod's own resolver turns
   * into an address when nginx starts (kubeadm, GKE, EKS, AKS and k3s all keep a Service
   * `kube-dns` in `kube-system`). Clusters that differ (OpenShift: `dns-default.openshift-dns`)
   * set it, or give the DNS Service's ClusterIP.
   * @default ['kube-dns.kube-system.svc.<clusterDomain>']
   */
  readonly resolvers?: readonly string[];
  /** Proxy timeouts. @default api/auth read 90 s, stream read 200 s, connect 5 s */
  readonly timeouts?: NginxTimeouts;
  /** Largest request body. @default '10m' */
  readonly clientMaxBodySize?: string;
  readonly service?: EdgeServiceSettings;
  readonly ingress?: EdgeIngressSettings;
  /** Container resources. @default 50m CPU, 64Mi request, 256Mi limit */
  readonly resources?: ResourceSettings;
  /** Image fields to override (`registry` is the prefix before the repository name). @default docker.io/nginxinc/nginx-unprivileged:1.27.3 */
  readonly image?: Partial<ImageSettings>;
  /**
   * Seconds between SIGTERM and SIGKILL; open event streams are closed 10 s before it. @default 30
   * @asType integer
   * @minimum 1
   */
  readonly terminationGracePeriodSeconds?: number;
}

/**
 * Where TLS ends:
 * - `terminate`: nginx serves HTTPS with the certificate of a `kubernetes.io/tls` Secret and
 *   redirects plain HTTP to it;
 * - `plain`: nginx serves HTTP only, for clusters whose cloud load balancer (or Ingress)
 *   terminates TLS; it redirects only when `X-Forwarded-Proto` says the client used http.
 */
export type EdgeTlsMode = 'terminate' | 'plain';

/** Proxy timeouts, in seconds. */
export interface NginxTimeouts {
  /**
   * Time to open a connection to a Service. @default 5
   * @asType integer
   * @minimum 1
   */
  readonly connectSeconds?: number;
  /**
   * Time between two reads from st2api. @default 90
   * @asType integer
   * @minimum 1
   */
  readonly apiReadSeconds?: number;
  /**
   * Time between two reads from st2auth. @default 90
   * @asType integer
   * @minimum 1
   */
  readonly authReadSeconds?: number;
  /**
   * Time between two reads from st2stream. It must exceed st2stream's heartbeat (25 s), or
   * an idle but healthy event stream is cut between two heartbeats. @default 200
   * @asType integer
   * @minimum 1
   */
  readonly streamReadSeconds?: number;
  /**
   * Time between two reads from st2web and mistral-api. @default 60
   * @asType integer
   * @minimum 1
   */
  readonly webReadSeconds?: number;
  /**
   * Time between two writes to any upstream. @default 60
   * @asType integer
   * @minimum 1
   */
  readonly sendSeconds?: number;
}
