import { PlacementSettings } from '../common/workload';
import { ComponentSettings } from './component';
import { ContentSettings } from './content';
import { DatastoreSettings } from './datastores';
import type { NginxSettings } from './edge';
import type { MistralSettings } from './mistral';
import type { NetworkPort } from './network';
import type {
  ActionRunnerSettings,
  ChatOpsSettings,
  GarbageCollectionTtls,
  NotifierSettings,
  RulesEngineSettings,
  SensorContainerSettings,
  SmokeTestSettings,
  St2AuthSettings,
  St2ConfigSettings,
  St2RbacSettings,
  St2JobsSettings,
} from './st2';

/** The StackStorm release every st2 image is taken from. */
export interface ReleaseSettings {
  /**
   * StackStorm image tag: a full release such as `3.9.0`. A two-part tag (`3.9`) floats to
   * the newest patch release, so two nodes could run different releases of one component
   * against one database: it is refused unless `digest` pins the image.
   * @default '3.9.0'
   */
  readonly version?: string;
  /**
   * Digest every st2 image of the release is pinned to, `sha256:<64 hex>`; the reference
   * becomes `<repository>:<version>@<digest>`. Per-image digests go under a component's
   * `image.digest`. @default none: the tag alone
   */
  readonly digest?: string;
  /**
   * CPU architectures (`kubernetes.io/arch`) your st2 images exist for; st2 pods get a
   * required node affinity to them. The official images are amd64 only.
   * @default ['amd64']
   */
  readonly architectures?: readonly string[];
  /** Registry prefix for the st2 images. @default 'docker.io/stackstorm' */
  readonly registry?: string;
  /**
   * Where EVERY image we deploy is pulled from (st2, datastores, edge, content images, Jobs),
   * applied last to each final reference. A string replaces the upstream registry host:
   * `docker.io/library/mongo:7.0.37` becomes `registry.corp.example/library/mongo:7.0.37`
   * (references without a host are Docker Hub's and are made explicit first). A map from
   * upstream registry host to mirror prefix serves one proxy per upstream, e.g.
   * `{ docker.io: harbor.corp.example/dockerhub }`; an image from an upstream the map does not
   * name fails the synth. @default none: each image from its own registry
   */
  readonly registryMirror?: string | Record<string, string>;
  /**
   * Secrets (type kubernetes.io/dockerconfigjson) on every pod, for pulling from a private
   * registry or mirror. Create them with `kubectl create secret docker-registry`.
   * @default none
   */
  readonly imagePullSecrets?: readonly string[];
  /** Pull policy for every image. @default 'IfNotPresent' */
  readonly pullPolicy?: 'IfNotPresent' | 'Always' | 'Never';
  /**
   * The numeric user and group every non-root st2 pod runs as (also the fsGroup of every
   * pod that shares the pack volumes). st2 looks its UID up in /etc/passwd at start, so it
   * must be an account of the images: the default is `stanley`, the account the st2
   * package creates as the first regular user (1000:1000 on the images' ubuntu:jammy base;
   * the images' own `st2` account has a build-dependent UID). Check it at your pinned
   * image with `scripts/check-images.sh` (README, "Checking the images").
   * @default { user: 1000, group: 1000 }
   */
  readonly st2RunAs?: RunAsSettings;
  /**
   * Which process layout to deploy. `3.x`: current StackStorm (st2timersengine,
   * st2workflowengine, st2scheduler, Orquesta). `2.x-mistral`: the HA guide's own topology
   * (timers inside one st2rulesengine, the notifier's backup scheduler, Mistral on
   * PostgreSQL, st2resultstracker). StackStorm publishes no images for it: set `registry`
   * to where you pushed your 2.x images and `version` to their tag (st2 2.0-2.8).
   * @default '3.x'
   */
  readonly topology?: '3.x' | '2.x-mistral';
}

/** A numeric user and group. */
export interface RunAsSettings {
  /**
   * UID.
   * @asType integer
   * @minimum 1
   */
  readonly user: number;
  /**
   * GID.
   * @asType integer
   * @minimum 1
   */
  readonly group: number;
}

/** Names of the user-created Secrets (README, "Secrets"). */
export interface SecretSettings {
  /** Keys `datastore_key.json`. @default 'st2-datastore-key' */
  readonly datastoreKey?: string;
  /** Key `htpasswd`. @default 'st2-htpasswd' */
  readonly htpasswd?: string;
  /** Key `private_key`. @default 'st2-ssh-key' */
  readonly sshKey?: string;
  /** Keys `username`, `password`. @default 'st2-admin' */
  readonly adminCredentials?: string;
}

/** The st2 processes. */
export interface St2Settings {
  /** st2api: active-active behind the edge. @default 2 replicas */
  readonly api?: ComponentSettings;
  /** st2web: the static Web UI behind the edge (root nginx on 80 inside the image). @default 2 replicas */
  readonly web?: ComponentSettings;
  /** st2auth: active-active behind the edge. @default 2 replicas */
  readonly auth?: St2AuthSettings;
  /** st2stream: active-active; long-lived SSE connections. @default 2 replicas */
  readonly stream?: ComponentSettings;
  /** st2rulesengine: active-active; in 2.x-mistral also the one timer holder. @default 2 replicas */
  readonly rulesEngine?: RulesEngineSettings;
  /** st2timersengine (3.x): exactly one. @default 1 replica */
  readonly timersEngine?: ComponentSettings;
  /** st2workflowengine (3.x): active-active, needs coordination when > 1. @default 2 replicas */
  readonly workflowEngine?: ComponentSettings;
  /** st2scheduler (3.x): active-active, needs coordination when > 1. @default 2 replicas */
  readonly scheduler?: ComponentSettings;
  /** st2actionrunner: active-active, needs coordination when > 1. @default 3 replicas */
  readonly actionRunner?: ActionRunnerSettings;
  /** st2sensorcontainer: partitioned, one pod per partition. @default one pod, all sensors */
  readonly sensorContainer?: SensorContainerSettings;
  /** st2chatops: active-passive, off unless enabled. @default disabled */
  readonly chatops?: ChatOpsSettings;
  /** The per-release jobs (register content, load keys). @default register content only */
  readonly jobs?: St2JobsSettings;
  /**
   * The post-deploy smoke test Job (an Argo CD PostSync hook; README, "Smoke test").
   * @default on whenever st2api, st2auth, st2stream and st2actionrunner are deployed
   */
  readonly smokeTest?: SmokeTestSettings;
  /** st2notifier: active-active; in 2.x-mistral also the backup scheduler. @default 2 replicas */
  readonly notifier?: NotifierSettings;
  /** st2resultstracker (2.x-mistral only): tracks Mistral results; active-active. @default 2 replicas */
  readonly resultsTracker?: ComponentSettings;
  /** st2garbagecollector: singleton; deployed only when TTLs are set. */
  readonly garbageCollector?: ComponentSettings & { readonly ttl?: GarbageCollectionTtls };
  /**
   * st2.conf options StackStorm registers, passed through: section -> option -> value, e.g.
   * `actionrunner: { python_binary: /usr/bin/python3 }`. Checked against the options of
   * StackStorm 3.9 (lib/config/st2-options.ts); options we set for correctness are refused
   * with the setting that controls them. @default none
   */
  readonly config?: St2ConfigSettings;
  /**
   * Origins besides `publicUrl` that st2api answers cross-origin requests from
   * (`[api] allow_origin`), e.g. another UI. @default only `publicUrl`
   */
  readonly allowOrigins?: readonly string[];
  /** StackStorm RBAC (roles, assignments, LDAP group mappings) and the Job that applies it. @default off */
  readonly rbac?: St2RbacSettings;
  /**
   * A pod with the st2 CLI, logged in as the admin account, for
   * `kubectl exec -it deploy/st2client -- st2 ...`. @default off (`enabled: false`)
   */
  readonly client?: ComponentSettings;
}

/** Where the automation processes may connect beyond the cluster. */
export interface AutomationEgressSettings {
  /** Networks st2actionrunner, st2sensorcontainer and st2chatops may reach. @default ['0.0.0.0/0', '::/0'] */
  readonly cidrs?: readonly string[];
  /** Ports they may reach there. @default every port */
  readonly ports?: readonly NetworkPort[];
}

/** Where RabbitMQ's peer discovery reaches the Kubernetes API server. */
export interface KubernetesApiEgressSettings {
  /**
   * The API server's addresses (the `kubernetes` Service's endpoints, often outside the pod
   * network). @default ['0.0.0.0/0']
   */
  readonly cidrs?: readonly string[];
  /** Its ports: 443 through the Service, 6443 on the control-plane nodes. @default [443, 6443] */
  readonly ports?: readonly NetworkPort[];
}

/** NetworkPolicies: deny by default, then only the guide's connections (docs/operations.md). */
export interface NetworkPolicySettings {
  /** Create the NetworkPolicies. @default true */
  readonly enabled?: boolean;
  /** Egress of the processes that automate other systems. @default allowed everywhere */
  readonly automationEgress?: AutomationEgressSettings;
  /** Egress of RabbitMQ to the Kubernetes API. @default any address on 443 and 6443 */
  readonly kubernetesApi?: KubernetesApiEgressSettings;
  /** Networks of external datastores (mode `external`), reached on their ports. @default ['0.0.0.0/0'] */
  readonly externalDatastoreCidrs?: readonly string[];
  /**
   * Networks st2auth may reach its authentication backend in (an LDAP server), on the
   * kwargs' `port` or 389 and 636. Only with a backend other than flat_file.
   * @default ['0.0.0.0/0', '::/0']
   */
  readonly authBackendCidrs?: readonly string[];
  /** Namespace of the cluster DNS every pod may query on port 53. @default 'kube-system' */
  readonly dnsNamespace?: string;
}

/** Everything a deployment is made from. */
export interface StackStormHaSettings {
  /** Namespace for every object. @default 'stackstorm' */
  readonly namespace?: string;
  /**
   * The cluster's DNS domain (the kubelet's `clusterDomain`), used in every Service and
   * StatefulSet member name we render. @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /** `app.kubernetes.io/instance`. @default 'stackstorm' */
  readonly instance?: string;
  /** Public base URL users reach the edge at. @default 'https://stackstorm.example.com' */
  readonly publicUrl?: string;
  readonly release?: ReleaseSettings;
  readonly secrets?: SecretSettings;
  readonly st2?: St2Settings;
  /** MongoDB, RabbitMQ and coordination, in-cluster or external. @default all in-cluster, Redis Sentinel coordination */
  readonly datastores?: DatastoreSettings;
  /** Shared pack content. @default shared-volumes with the cluster's default StorageClass */
  readonly content?: ContentSettings;
  /** Spreading across nodes and zones. @default preferred node spread, no zones */
  readonly placement?: PlacementSettings;
  /** The edge: nginx in front of every HTTP service, with TLS. @default TLS from Secret `st2-tls`, 2 replicas, a LoadBalancer Service */
  readonly edge?: NginxSettings;
  /** Mistral and its PostgreSQL (release.topology 2.x-mistral only). @default in-cluster PostgreSQL, 2 mistral-api, 2 mistral-server */
  readonly mistral?: MistralSettings;
  /** NetworkPolicies. @default enabled: default deny plus the guide's connections, automation egress anywhere */
  readonly networkPolicy?: NetworkPolicySettings;
}
