import { ComponentSettings } from './component';

/** Garbage collection TTLs in days (st2 ignores values below 1; unset keeps forever). */
export interface GarbageCollectionTtls {
  /**
   * Days to keep action executions. @default keep forever
   * @asType integer
   * @minimum 1
   */
  readonly actionExecutionsDays?: number;
  /**
   * Days to keep action execution output. @default keep forever
   * @asType integer
   * @minimum 1
   */
  readonly actionExecutionsOutputDays?: number;
  /**
   * Days to keep trigger instances. @default keep forever
   * @asType integer
   * @minimum 1
   */
  readonly triggerInstancesDays?: number;
  /**
   * Days to keep traces. @default keep forever
   * @asType integer
   * @minimum 1
   */
  readonly tracesDays?: number;
  /**
   * Days to keep rule enforcements. @default keep forever
   * @asType integer
   * @minimum 1
   */
  readonly ruleEnforcementsDays?: number;
  /**
   * Days to keep workflow executions. @default keep forever
   * @asType integer
   * @minimum 1
   */
  readonly workflowExecutionsDays?: number;
  /**
   * Days to keep task executions. @default keep forever
   * @asType integer
   * @minimum 1
   */
  readonly taskExecutionsDays?: number;
  /**
   * Days to keep expired tokens. @default keep forever
   * @asType integer
   * @minimum 1
   */
  readonly tokensDays?: number;
}

/** Scale action runners on CPU. */
export interface ActionRunnerAutoscaling {
  /**
   * Fewest runners.
   * @asType integer
   * @minimum 1
   */
  readonly minReplicas: number;
  /**
   * Most runners.
   * @asType integer
   * @minimum 1
   */
  readonly maxReplicas: number;
  /**
   * Target average CPU utilisation in percent of the request. @default 70
   * @asType integer
   * @minimum 1
   * @maximum 100
   */
  readonly cpuUtilization?: number;
}

/** Settings of the action runners. */
export interface ActionRunnerSettings extends ComponentSettings {
  /** A HorizontalPodAutoscaler instead of a fixed count. @default fixed replicas */
  readonly autoscaling?: ActionRunnerAutoscaling;
}

/** Settings of st2chatops. */
export interface ChatOpsSettings extends ComponentSettings {
  /**
   * Secret holding the hubot adapter's environment (HUBOT_ADAPTER, HUBOT_SLACK_TOKEN, ...),
   * loaded whole with envFrom. Required when chatops is enabled.
   * @default none
   */
  readonly adapterSecret?: string;
}

/** Settings of the per-release jobs. */
export interface St2JobsSettings {
  /**
   * Secret with key `keys.json`: key-value pairs (`st2 key load` format) loaded after each
   * release. @default no key-load job
   */
  readonly keysSecret?: string;
}

/** Settings of the post-deploy smoke test. */
export interface SmokeTestSettings {
  /** Create the smoke-test Job. @default true */
  readonly enabled?: boolean;
  /**
   * Seconds the test waits for st2 to accept a login before it fails (plain `kubectl apply`
   * and Flux run it at once, while st2 is still starting).
   * @default 600
   * @asType integer
   * @minimum 30
   */
  readonly waitSeconds?: number;
}

/** Settings of st2notifier. */
export interface NotifierSettings extends ComponentSettings {
  /**
   * release.topology 2.x-mistral only: which notifiers run the backup scheduler. `all`:
   * every replica (needs a coordination backend, whose locks keep them from rescheduling
   * the same execution twice). `one`: a separate Deployment `st2notifier-scheduler` of one
   * replica runs it, and it is off on `st2notifier`.
   * @default 'all' with a coordination backend, 'one' without
   */
  readonly backupScheduler?: 'all' | 'one';
}

/** Settings of st2rulesengine. */
export interface RulesEngineSettings extends ComponentSettings {
  /**
   * release.topology 2.x-mistral only: the Deployment `st2rulesengine-timers`, the one rules
   * engine that also runs the timers. Its replicas must stay 1.
   * @default 1 replica, the rules engines' image and resources
   */
  readonly timers?: ComponentSettings;
}

/** Settings of the sensor containers. */
export interface SensorContainerSettings extends ComponentSettings {
  /** How sensors are split among pods. @default all sensors in one pod */
  readonly partitioning?: SensorPartitioning;
}

/**
 * How sensors are shared among st2sensorcontainer pods (the guide: "Partitioning
 * Sensors"). Each partition is one pod that Kubernetes restarts; partitions never fail over.
 */
export interface SensorPartitioning {
  /**
   * - `all`: one pod runs every sensor;
   * - `hash`: each pod runs the sensors whose hash falls in its ranges;
   * - `kvstore`: each pod runs the refs stored under `<node>.sensor_partition` in st2's datastore;
   * - `file`: each pod runs the refs listed for it in a file rendered from `assignments`;
   * - `single-sensor`: one pod per sensor ref.
   * @default 'all'
   */
  readonly mode?: 'all' | 'hash' | 'kvstore' | 'file' | 'single-sensor';
  /**
   * `hash`: split the hash space into this many equal partitions. @default none
   * @asType integer
   * @minimum 1
   * @maximum 1024
   */
  readonly partitions?: number;
  /** `hash`: explicit ranges per node, e.g. `{ a: '0..2147483648', b: '2147483648..4294967296' }`. @default none */
  readonly hashRanges?: Readonly<Record<string, string>>;
  /** `kvstore`: the node names. @default none */
  readonly nodes?: readonly string[];
  /** `file`: node name to the sensor refs it runs. @default none */
  readonly assignments?: Readonly<Record<string, readonly string[]>>;
  /** `single-sensor`: the sensor refs (`pack.SensorClass`), one pod each. @default none */
  readonly sensors?: readonly string[];
}

/**
 * st2.conf options passed through as they are: section -> option -> a scalar or a list of
 * scalars (list options such as `allow_origin`). Merged after our own keys; options
 * StackStormHa sets for correctness are refused, naming the setting that controls them.
 */
export type St2ConfigSettings = Record<string, Record<string, string | number | boolean | (string | number)[]>>;

/** A key of a Kubernetes Secret. */
export interface SecretKeySettings {
  /** Name of the Secret (in the deployment's namespace). */
  readonly secret: string;
  /** Key inside it. */
  readonly key: string;
}

/** st2auth, and the authentication backend it asks. */
export interface St2AuthSettings extends ComponentSettings {
  /**
   * `[auth] backend`: `flat_file` checks the htpasswd Secret (`secrets.htpasswd`); `ldap` (the
   * st2-auth-ldap backend) or any backend your st2auth image ships. Check what it ships with
   * `kubectl exec deploy/st2auth -- /opt/stackstorm/st2/bin/pip list | grep st2-auth`.
   * @default 'flat_file'
   */
  readonly backend?: string;
  /**
   * `[auth] backend_kwargs`, the backend's own settings, e.g. for ldap `host`, `port`,
   * `use_ssl`, `bind_dn`, `base_ou`, `group_dns`. Not for `flat_file` (its file is ours).
   * @default none
   */
  readonly backendKwargs?: Record<string, string | number | boolean | string[]>;
  /**
   * Backend settings whose values come from Secrets, e.g. `bind_password`: filled in by the
   * st2auth pods' `prepare` step into their secrets file (never into a ConfigMap), together
   * with `backendKwargs`. @default none
   */
  readonly secretKwargs?: Record<string, SecretKeySettings>;
}

/** One grant of an RBAC role, as StackStorm's role files write it. */
export interface RbacPermissionGrant {
  /** The resource the grant is on, e.g. `pack:corp`; none for a global permission type. @default global */
  readonly resource_uid?: string;
  /** Permission types, e.g. `action_execute`, `action_view`. */
  readonly permission_types: readonly string[];
}

/** One RBAC role, written to /opt/stackstorm/rbac/roles/<name>.yaml. */
export interface RbacRoleSettings {
  /** @default none */
  readonly description?: string;
  /** @default true */
  readonly enabled?: boolean;
  /** @default none: a role that grants nothing */
  readonly permission_grants?: readonly RbacPermissionGrant[];
}

/** StackStorm RBAC: roles, who has them, and which remote (LDAP) groups grant them. */
export interface St2RbacSettings {
  /** `[rbac] enable`, and the Job that applies the definitions. @default false */
  readonly enabled?: boolean;
  /** Custom roles by name (system_admin, admin and observer are built in). @default none */
  readonly roles?: Record<string, RbacRoleSettings>;
  /** User -> roles. The admin account (`secrets.adminCredentials`) gets system_admin unless listed here. @default none */
  readonly assignments?: Record<string, readonly string[]>;
  /** Remote group (an LDAP DN) -> roles; turns on `[rbac] sync_remote_groups`. @default none */
  readonly groupMappings?: Record<string, readonly string[]>;
}
