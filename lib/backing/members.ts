import { ReleaseIdentity, serviceHost } from '../common/meta';

/**
 * Stable DNS names of StatefulSet members. A StatefulSet `<name>` governed by the headless
 * Service `<name>-headless` gives member i the name below; both the backing constructs and
 * the st2 config use this one function.
 */
export function memberHost(name: string, ordinal: number, identity: ReleaseIdentity): string {
  return `${name}-${ordinal}.${serviceHost(identity, `${name}-headless`)}`;
}

/** `host:port` of every member of a StatefulSet. */
export function memberHostPorts(name: string, replicas: number, identity: ReleaseIdentity, port: number): string[] {
  return Array.from({ length: replicas }, (_, ordinal) => `${memberHost(name, ordinal, identity)}:${port}`);
}
