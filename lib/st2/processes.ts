import { Construct } from 'constructs';
import { ComponentProfile, declareProfile } from '../common/component-profile';
import { ComponentRole } from '../common/meta';
import { httpProbe, tcpProbe } from '../common/probes';
import { RESOURCE_PRESETS } from '../common/resources';
import { SettingError } from '../common/errors';
import { ComponentSettings } from '../config/component';
import { HaMode } from '../config/ha-mode';
import { GarbageCollectionTtls } from '../config/st2';
import { St2Mounts, St2Probes, St2Process, St2ProcessProps, St2Runtime } from './st2-process';
import { ST2AUTH_SECRETS_TEMPLATE } from './st2-conf';
import { st2Image } from './images';

export const ST2API_PORT = 9101;
export const ST2AUTH_PORT = 9100;
export const ST2STREAM_PORT = 9102;
/** `[stream] heartbeat`: every proxy timeout on the path must be longer. */
export const STREAM_HEARTBEAT_SECONDS = 25;

/** Everything one of st2's plain processes differs in from the others. */
export interface St2ProcessDefinition {
  /** Its name, apply order and by-design status. */
  readonly profile: ComponentProfile;
  /** `app.kubernetes.io/component`. */
  readonly role: ComponentRole;
  /** Where its settings live in a values file, for error messages. */
  readonly setting: string;
  /** How it may be replicated; `singleton` runs with the Recreate strategy. */
  readonly haMode: HaMode;
  /** Replicas when the settings give none. */
  readonly replicas: number;
  readonly resources: keyof typeof RESOURCE_PRESETS;
  /** More than one replica needs a coordination backend. @default false */
  readonly needsCoordination?: boolean;
  /** The port it serves behind a ClusterIP Service. @default no Service */
  readonly port?: number;
  readonly probes?: St2Probes;
  /** Seconds a stopping pod keeps serving while its endpoint is removed. @default none */
  readonly preStopSleepSeconds?: number;
  /** Seconds between SIGTERM and SIGKILL, from the st2.conf the release renders. @default 30 */
  readonly terminationGracePeriodSeconds?: (runtime: St2Runtime) => number;
  readonly mounts?: St2Mounts;
}

const processes = (name: string, byDesign?: ComponentProfile['byDesign']): ComponentProfile => ({ name, syncStage: 'processes', byDesign });

/**
 * st2's processes that need nothing beyond their row here. The guide's HA mode of each:
 * - st2api (REST API), st2auth (tokens), st2stream (server-sent events): active-active
 *   behind the edge. st2api and st2stream have no unauthenticated health endpoint (st2
 *   issue 4020), so they are probed on TCP; st2auth answers `/v1/sso` without a token.
 *   Readiness takes a pod out of its Service within 10 s, liveness restarts it only after a
 *   minute of refused connections, and a 5 s preStop pause lets endpoints update first.
 *   st2stream's grace is a heartbeat period longer, so in-flight events flush.
 * - st2scheduler and st2workflowengine (Orquesta): active-active; more than one replica
 *   needs tooz locks. The workflow engine finishes what it holds for
 *   `[workflow_engine] exit_still_active_check` seconds after SIGTERM: its grace is longer.
 * - st2resultstracker (2.x-mistral): polls Mistral for results, active-active.
 * - st2timersengine (2.9+) and st2garbagecollector: singletons; the collector purges by
 *   TTL and StackStormHa builds it only when one is set.
 */
export const ST2_PROCESSES = {
  api: {
    profile: processes('st2api'),
    role: 'api',
    setting: 'st2.api',
    haMode: 'active-active',
    replicas: 2,
    resources: 'medium',
    port: ST2API_PORT,
    probes: { readiness: tcpProbe(ST2API_PORT, 5, 2), liveness: tcpProbe(ST2API_PORT, 20, 3, 30) },
    preStopSleepSeconds: 5,
    mounts: { datastoreKey: true, content: true },
  },
  auth: {
    profile: processes('st2auth'),
    role: 'api',
    setting: 'st2.auth',
    haMode: 'active-active',
    replicas: 2,
    resources: 'small',
    port: ST2AUTH_PORT,
    probes: { readiness: httpProbe('/v1/sso', ST2AUTH_PORT, 5, 2), liveness: tcpProbe(ST2AUTH_PORT, 20, 3, 30) },
    preStopSleepSeconds: 5,
    mounts: { htpasswd: true },
  },
  stream: {
    profile: processes('st2stream'),
    role: 'api',
    setting: 'st2.stream',
    haMode: 'active-active',
    replicas: 2,
    resources: 'small',
    port: ST2STREAM_PORT,
    probes: { readiness: tcpProbe(ST2STREAM_PORT, 5, 2), liveness: tcpProbe(ST2STREAM_PORT, 20, 3, 30) },
    preStopSleepSeconds: 5,
    terminationGracePeriodSeconds: () => STREAM_HEARTBEAT_SECONDS + 10,
  },
  scheduler: {
    profile: processes('st2scheduler'),
    role: 'backend',
    setting: 'st2.scheduler',
    haMode: 'active-active',
    replicas: 2,
    resources: 'small',
    needsCoordination: true,
    mounts: { datastoreKey: true },
  },
  workflowEngine: {
    profile: processes('st2workflowengine'),
    role: 'workflow',
    setting: 'st2.workflowEngine',
    haMode: 'active-active',
    replicas: 2,
    resources: 'medium',
    needsCoordination: true,
    mounts: { datastoreKey: true, content: true },
    terminationGracePeriodSeconds: (runtime) => (runtime.config.conf.workflowEngineDrainSeconds ?? 300) + 30,
  },
  resultsTracker: {
    profile: processes('st2resultstracker'),
    role: 'workflow',
    setting: 'st2.resultsTracker',
    haMode: 'active-active',
    replicas: 2,
    resources: 'small',
  },
  timersEngine: {
    profile: processes('st2timersengine', { mode: 'singleton', reason: 'a second copy would fire every timer twice' }),
    role: 'backend',
    setting: 'st2.timersEngine',
    haMode: 'singleton',
    replicas: 1,
    resources: 'small',
  },
  garbageCollector: {
    profile: processes('st2garbagecollector', { mode: 'singleton', reason: 'periodic cleanup; two copies would race over the same deletions' }),
    role: 'backend',
    setting: 'st2.garbageCollector',
    haMode: 'singleton',
    replicas: 1,
    resources: 'small',
  },
} as const satisfies Record<string, St2ProcessDefinition>;

/** Props of the constructs of {@link ST2_PROCESSES}. */
export interface St2PlainProcessProps {
  readonly runtime: St2Runtime;
  /** Replicas, resources, image. @default the row's replicas and resources, the release's image */
  readonly settings?: ComponentSettings;
  /**
   * Where `settings` come from, as error messages name it: an app that builds the construct
   * from its own configuration names its own key.
   * @default the key in a StackStormHa values file, e.g. `st2.api`
   */
  readonly setting?: string;
}

/** One row of {@link ST2_PROCESSES} as a running process. */
export abstract class St2PlainProcess extends Construct {
  public readonly process: St2Process;

  /** `extra` is what a process adds to its row (st2auth: its backend's Secrets). */
  protected constructor(scope: Construct, id: string, props: St2PlainProcessProps, definition: St2ProcessDefinition, extra: Partial<St2ProcessProps> = {}) {
    super(scope, id);
    declareProfile(this, definition.profile);
    const settings = props.settings ?? {};
    const name = definition.profile.name;
    this.process = new St2Process(this, 'Process', {
      runtime: props.runtime,
      name,
      executable: name,
      role: definition.role,
      setting: props.setting ?? definition.setting,
      replicas: settings.replicas ?? definition.replicas,
      haMode: definition.haMode,
      needsCoordination: definition.needsCoordination,
      image: st2Image(props.runtime, name, settings.image),
      resources: settings.resources ?? RESOURCE_PRESETS[definition.resources],
      port: definition.port,
      probes: definition.probes,
      preStopSleepSeconds: definition.preStopSleepSeconds,
      terminationGracePeriodSeconds: definition.terminationGracePeriodSeconds?.(props.runtime),
      mounts: definition.mounts,
      placement: settings.placement,
      ...extra,
    });
  }
}

/** st2api: the REST API, active-active behind the edge ({@link ST2_PROCESSES}). */
export class St2Api extends St2PlainProcess {
  constructor(scope: Construct, id: string, props: St2PlainProcessProps) {
    super(scope, id, props, ST2_PROCESSES.api);
  }
}

/**
 * st2auth: issues tokens, active-active behind the edge. Every replica reads the same
 * htpasswd Secret, which the guide requires ("all st2auth processes should see the same
 * identities").
 */
export class St2Auth extends St2PlainProcess {
  constructor(scope: Construct, id: string, props: St2PlainProcessProps) {
    super(scope, id, props, ST2_PROCESSES.auth, authExtras(props.runtime));
  }
}

/**
 * What st2auth adds for its backend: the htpasswd Secret only for flat_file, and for Secret
 * kwargs their environment and the secrets template that carries the whole backend_kwargs.
 */
function authExtras(runtime: St2Runtime): Partial<St2ProcessProps> {
  const auth = runtime.config.conf.auth;
  if (!auth || auth.backend === 'flat_file') return {};
  const secrets = Object.entries(auth.secretKwargs);
  if (secrets.length === 0) return { mounts: {} };
  return {
    mounts: {},
    secretsTemplate: ST2AUTH_SECRETS_TEMPLATE,
    prepareSecretEnv: Object.fromEntries(secrets.map(([kwarg, variable]) => [variable, auth.secretRefs[kwarg]])),
  };
}

/**
 * st2stream: the server-sent event stream, active-active. Connections are long-lived: when a
 * pod goes, its clients reconnect through the edge to another one (the edge answers a 502 on
 * /stream with `retry: 1000`).
 */
export class St2Stream extends St2PlainProcess {
  constructor(scope: Construct, id: string, props: St2PlainProcessProps) {
    super(scope, id, props, ST2_PROCESSES.stream);
  }
}

/** st2scheduler (2.10+): schedules requested executions, active-active with coordination. */
export class St2Scheduler extends St2PlainProcess {
  constructor(scope: Construct, id: string, props: St2PlainProcessProps) {
    super(scope, id, props, ST2_PROCESSES.scheduler);
  }
}

/** st2workflowengine (Orquesta): active-active with coordination, drains on SIGTERM. */
export class St2WorkflowEngine extends St2PlainProcess {
  constructor(scope: Construct, id: string, props: St2PlainProcessProps) {
    super(scope, id, props, ST2_PROCESSES.workflowEngine);
  }
}

/** st2resultstracker (2.x-mistral): polls Mistral for workflow results. */
export class St2ResultsTracker extends St2PlainProcess {
  constructor(scope: Construct, id: string, props: St2PlainProcessProps) {
    super(scope, id, props, ST2_PROCESSES.resultsTracker);
  }
}

/** st2timersengine (2.9+): fires timer triggers; a singleton. */
export class St2TimersEngine extends St2PlainProcess {
  constructor(scope: Construct, id: string, props: St2PlainProcessProps) {
    super(scope, id, props, ST2_PROCESSES.timersEngine);
  }
}

/** st2garbagecollector: purges old executions and trigger data by TTL; a singleton. */
export class St2GarbageCollector extends St2PlainProcess {
  constructor(scope: Construct, id: string, props: St2PlainProcessProps) {
    super(scope, id, props, ST2_PROCESSES.garbageCollector);
  }
}

/** Checks TTLs: whole days, at least 1 (st2 ignores smaller values), at least one set. */
export function checkGarbageCollectionTtls(ttl: GarbageCollectionTtls, setting = 'st2.garbageCollector.ttl'): void {
  const entries = Object.entries(ttl).filter(([, days]) => days !== undefined);
  if (entries.length === 0) {
    throw new SettingError(
      setting,
      'no TTL is set, so the collector would do nothing',
      'set at least one TTL in days (e.g. actionExecutionsDays: 30), or disable the collector',
    );
  }
  for (const [key, days] of entries) {
    if (!Number.isInteger(days) || (days as number) < 1) {
      throw new SettingError(`${setting}.${key}`, `${JSON.stringify(days)} days`, 'use a whole number of days, at least 1 (st2 ignores smaller TTLs)');
    }
  }
}
