import { ApiObject } from 'cdk8s';

/** A Pod Security Standards level. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** The hardening rules a component may be excepted from. */
export type SecurityRule =
  /** PSS restricted: runAsNonRoot true and no UID 0. */
  | 'runAsNonRoot'
  /** PSS restricted: drop ALL capabilities (add at most NET_BIND_SERVICE). */
  | 'capabilities'
  /** Practice (kube-score, Polaris), not a PSS rule: a read-only root filesystem. */
  | 'readOnlyRootFilesystem';

/** One documented departure from "restricted + read-only root filesystem". */
export interface SecurityException {
  /** `app.kubernetes.io/name` of the pods. */
  readonly component: string;
  /** Rules its containers do not meet. */
  readonly rules: readonly SecurityRule[];
  /** The highest Pod Security level the component still meets. */
  readonly level: PodSecurityLevel;
  /** Why (mirrored in docs/operations.md). */
  readonly reason: string;
}

/**
 * THE list of security exceptions: the policy tests allow exactly these, the namespace
 * label is computed from them, and docs/operations.md mirrors them (a test compares).
 */
export const SECURITY_EXCEPTIONS: readonly SecurityException[] = [
  {
    component: 'st2actionrunner',
    rules: ['runAsNonRoot', 'capabilities', 'readOnlyRootFilesystem'],
    level: 'baseline',
    reason: 'the image runs as root and switches to the stanley user (sudo, needs the default capabilities) to run actions, which write to stanley\'s home, /opt/stackstorm and /var/spool',
  },
  {
    component: 'st2web',
    rules: ['runAsNonRoot', 'capabilities', 'readOnlyRootFilesystem'],
    level: 'baseline',
    reason: 'the image runs nginx as root on port 80 and renders its config into /etc/nginx at start',
  },
  {
    component: 'st2chatops',
    rules: ['readOnlyRootFilesystem'],
    level: 'restricted',
    reason: 'hubot writes its brain and npm caches under its home directory in the image',
  },
];

const ORDER: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

/** The exception of a component, if it has one. */
export function securityException(component: string): SecurityException | undefined {
  return SECURITY_EXCEPTIONS.find((exception) => exception.component === component);
}

/** The Pod Security level every pod of the given components meets: the lowest of their levels. */
export function podSecurityLevel(components: readonly string[]): PodSecurityLevel {
  return components.reduce<PodSecurityLevel>((level, component) => {
    const own = securityException(component)?.level ?? 'restricted';
    return ORDER.indexOf(own) < ORDER.indexOf(level) ? own : level;
  }, 'restricted');
}

/** Pod Security admission labels: enforce, audit and warn at `level`. */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return Object.fromEntries(['enforce', 'audit', 'warn'].map((mode) => [`pod-security.kubernetes.io/${mode}`, level]));
}

/** Labels a Namespace object for `level`. */
export function labelPodSecurity(namespace: ApiObject, level: PodSecurityLevel): void {
  for (const [key, value] of Object.entries(podSecurityLabels(level))) namespace.metadata.addLabel(key, value);
}
