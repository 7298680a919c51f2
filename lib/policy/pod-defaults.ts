import { ApiObject, JsonPatch } from 'cdk8s';
import { IConstruct } from 'constructs';
import { check } from '../common/errors';
import { mirroredReference, RegistryMirror } from '../common/registry-mirror';

/** Kinds whose pod template is at `/spec/template/spec`. */
const POD_TEMPLATE_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet']);
const POD_SPEC = '/spec/template/spec';
/** A Secret name: a DNS subdomain. */
const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** What every pod StackStormHa builds gets, whatever component it belongs to. */
export interface PodDefaults {
  /** Secrets of type kubernetes.io/dockerconfigjson the kubelet pulls with. */
  readonly imagePullSecrets: readonly string[];
  /** Where every image is pulled from instead of its upstream registry. */
  readonly registryMirror?: RegistryMirror;
}

/** Checks the settings before anything is patched. */
export function checkPodDefaults(defaults: PodDefaults): void {
  defaults.imagePullSecrets.forEach((name, index) =>
    check(
      SECRET_NAME.test(name) && name.length <= 253,
      `release.imagePullSecrets[${index}]`,
      `${JSON.stringify(name)} is not a Secret name`,
      'use lower-case letters, digits, - and .',
    ),
  );
  const repeated = defaults.imagePullSecrets.find((name, index) => defaults.imagePullSecrets.indexOf(name) !== index);
  check(repeated === undefined, 'release.imagePullSecrets', `${repeated} is listed twice`, 'list each Secret once');
}

/**
 * Applies `defaults` to every pod template below `scope`, last, so it reaches every image and
 * pod however the component built it (st2, datastores, the edge, content images, Jobs). The
 * mirror rewrites each container's final reference; without a mirror nothing is read back.
 */
export function applyPodDefaults(scope: IConstruct, defaults: PodDefaults): void {
  for (const object of scope.node.findAll()) {
    if (!(object instanceof ApiObject) || !POD_TEMPLATE_KINDS.has(object.kind)) continue;
    if (defaults.imagePullSecrets.length > 0) {
      object.addJsonPatch(
        JsonPatch.add(
          `${POD_SPEC}/imagePullSecrets`,
          defaults.imagePullSecrets.map((name) => ({ name })),
        ),
      );
    }
    if (defaults.registryMirror !== undefined) {
      const spec = object.toJson().spec?.template?.spec ?? {};
      for (const list of ['initContainers', 'containers'] as const) {
        (spec[list] ?? []).forEach((container: { image?: string }, index: number) => {
          if (container.image === undefined) return;
          object.addJsonPatch(
            JsonPatch.replace(`${POD_SPEC}/${list}/${index}/image`, mirroredReference(container.image, defaults.registryMirror!, 'release.registryMirror')),
          );
        });
      }
    }
  }
}
