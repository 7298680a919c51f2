import { ApiObject } from 'cdk8s';
import { ComponentProfile, PodSecurityLevel } from '../common/component-profile';

export type { PodSecurityLevel, SecurityException, SecurityRule } from '../common/component-profile';

const ORDER: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

/**
 * The Pod Security level every pod of the given components meets: the lowest of their levels
 * (a component's profile declares its exception where it is defined; none means restricted).
 */
export function podSecurityLevel(profiles: readonly (ComponentProfile | undefined)[]): PodSecurityLevel {
  return profiles.reduce<PodSecurityLevel>((level, profile) => {
    const own = profile?.securityException?.level ?? 'restricted';
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
