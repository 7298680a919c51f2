import { ResourceSettings } from '../common/resources';
import { ImageSettings, PlacementSettings } from '../common/workload';
import { ContentSettings } from '../st2/content';
import { GarbageCollectionTtls } from '../st2/st2-conf';
import { DatastoreSettings } from './datastores';
import type { ActionRunnerSettings } from '../st2/action-runner';
import type { ChatOpsSettings } from '../st2/chatops';
import type { St2JobsSettings } from '../st2/jobs';
import type { SensorContainerSettings } from '../st2/sensor-container';
import type { NginxSettings } from '../edge/nginx';
import type { NotifierSettings } from '../st2/notifier';
import type { RulesEngineSettings } from '../st2/rules-engine';
import type { MistralSettings } from '../mistral/mistral-settings';
import type { NetworkPort } from '../policy/network-policy';

/**
 * Settings every st2 component accepts. Values files (environments/*.yaml) map onto these
 * same types.
 */
export interface ComponentSettings {
  /** Deploy this component at all (the guide: each process can be turned on or off). @default true for core processes */
  readonly enabled?: boolean;
  /**
   * Replicas; the component's HA mode decides the allowed range. @default per component
   * @asType integer
   * @minimum 1
   */
  readonly replicas?: number;
  /** Container resources. @default sized by the component's role */
  readonly resources?: ResourceSettings;
  /** Image fields to override for this component only. @default the release image */
  readonly image?: Partial<ImageSettings>;
}

/** The StackStorm release every st2 image is taken from. */
export interface ReleaseSettings {
  /** StackStorm image tag. @default '3.9' */
  readonly version?: string;
  /** Registry prefix for the st2 images. @default 'docker.io/stackstorm' */
  readonly registry?: string;
  /** Pull policy for every image. @default 'IfNotPresent' */
  readonly pullPolicy?: 'IfNotPresent' | 'Always' | 'Never';
  /**
   * UID of the `st2` user in the images (a system user whose UID the st2 package picks;
   * 999 in the official 3.9 images). The kubelet needs it numerically for runAsNonRoot.
   * @default 999
   * @asType integer
   * @minimum 1
   */
  readonly st2Uid?: number;
  /**
   * GID of the `st2` group; also the pods' fsGroup. @default 999
   * @asType integer
   * @minimum 1
   */
  readonly st2Gid?: number;
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
  readonly auth?: ComponentSettings;
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
  /** st2notifier: active-active; in 2.x-mistral also the backup scheduler. @default 2 replicas */
  readonly notifier?: NotifierSettings;
  /** st2resultstracker (2.x-mistral only): tracks Mistral results; active-active. @default 2 replicas */
  readonly resultsTracker?: ComponentSettings;
  /** st2garbagecollector: singleton; deployed only when TTLs are set. */
  readonly garbageCollector?: ComponentSettings & { readonly ttl?: GarbageCollectionTtls };
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
  /** Namespace of the cluster DNS every pod may query on port 53. @default 'kube-system' */
  readonly dnsNamespace?: string;
}

/** Everything a deployment is made from. */
export interface StackStormHaSettings {
  /** Namespace for every object. @default 'stackstorm' */
  readonly namespace?: string;
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
