import { SettingError } from './errors';

/**
 * Where images are pulled from instead of their upstream registry: one host (or host/prefix)
 * for every upstream, or a map from upstream registry host to mirror prefix (one proxy
 * project per upstream, as Harbor and Artifactory set them up).
 */
export type RegistryMirror = string | Readonly<Record<string, string>>;

/** Docker Hub, as a reference without a registry host implies it. */
export const DOCKER_HUB = 'docker.io';

/** An image reference split into the registry host and the rest (`path:tag@digest`). */
export interface ParsedReference {
  readonly registry: string;
  /** The repository path with its tag and digest, e.g. `library/mongo:7.0.37`. */
  readonly rest: string;
}

/**
 * Splits a reference the way container runtimes read it: the first path component is a
 * registry host only when it has a `.` or a `:` or is `localhost`; otherwise the image is on
 * Docker Hub, where a one-component path lives under `library/`.
 */
export function parseReference(reference: string): ParsedReference {
  const slash = reference.indexOf('/');
  const first = slash < 0 ? '' : reference.slice(0, slash);
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    const rest = reference.slice(slash + 1);
    return { registry: first, rest: first === DOCKER_HUB && !rest.includes('/') ? `library/${rest}` : rest };
  }
  return { registry: DOCKER_HUB, rest: slash < 0 ? `library/${reference}` : reference };
}

const MIRROR = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9._-]+)*$/;

/** Checks the setting: each mirror a registry host with an optional port and path prefix. */
export function checkRegistryMirror(mirror: RegistryMirror, setting: string): void {
  const entries = typeof mirror === 'string' ? [[setting, mirror]] : Object.entries(mirror).map(([upstream, target]) => [`${setting}.${upstream}`, target]);
  if (entries.length === 0)
    throw new SettingError(
      setting,
      'the map names no upstream registry',
      'map each upstream registry (docker.io, quay.io, ...) to its mirror, or give one mirror for all',
    );
  for (const [key, target] of entries) {
    if (!MIRROR.test(target)) {
      throw new SettingError(
        key,
        `${JSON.stringify(target)} is not a registry`,
        'write a host with an optional port and path, e.g. registry.corp.example or harbor.corp.example/dockerhub',
      );
    }
  }
}

/**
 * The reference pulled through `mirror`: the upstream registry host replaced by the mirror
 * (implicit Docker Hub paths made explicit first, so `mongo:7` becomes
 * `<mirror>/library/mongo:7`). With a map, an image from an upstream the map does not name
 * fails: every image we deploy comes from the mirror, or the synth says which does not.
 */
export function mirroredReference(reference: string, mirror: RegistryMirror, setting: string): string {
  const { registry, rest } = parseReference(reference);
  const target = typeof mirror === 'string' ? mirror : mirror[registry];
  if (target === undefined) {
    throw new SettingError(
      setting,
      `${reference} comes from ${registry}, which the mirror map does not name`,
      `add ${registry} to ${setting}, or give one mirror for every registry`,
    );
  }
  return `${target.replace(/\/+$/, '')}/${rest}`;
}
