/**
 * Pod-runtime checks: our pods judged against the image model (lib/images/image-model.ts)
 * the way the kubelet, the container runtime and the processes in the images would judge
 * them. A manifest can pass the OpenAPI schema and still never start: a Secret folder
 * mounted onto a file the image ships, a volume hiding the packs the image brings, a
 * read-only path a process writes, a UID without a passwd entry, two pods re-owning one
 * claim for different groups, or an image default in st2.conf that nothing overrides.
 * Every rule has a negative test in pod-runtime.test.ts on a deliberately broken copy.
 */
import { parse } from '../support/ini';
import { K8sObject, podTemplates } from '../support/synth';
import { ImageModel, imageModelOf, ST2_IMAGE_CONF, ST2_IMAGE_CONF_MUST_OVERRIDE, userWithUid } from '../../lib/images/image-model';
import { IniDocument, renderIni } from '../../lib/common/ini';

export interface RuntimeViolation {
  readonly rule: string;
  readonly where: string;
  readonly detail: string;
}

export interface RuntimeRule {
  readonly id: string;
  readonly description: string;
  readonly check: (objects: readonly K8sObject[]) => RuntimeViolation[];
}

interface PodContainer {
  readonly where: string;
  readonly object: K8sObject;
  readonly pod: any;
  readonly c: any;
  readonly init: boolean;
  readonly model?: ImageModel;
}

function containersOf(objects: readonly K8sObject[]): PodContainer[] {
  return podTemplates(objects).flatMap(({ object, template }) => {
    const pod = template.spec;
    const list = [...(pod.initContainers ?? []).map((c: any) => ({ c, init: true })), ...pod.containers.map((c: any) => ({ c, init: false }))];
    return list.map(({ c, init }) => ({ where: `${object.kind}/${object.metadata.name}/${c.name}`, object, pod, c, init, model: imageModelOf(c.image) }));
  });
}

const trim = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);
/** `dir` is `path` or one of its parents. */
const covers = (dir: string, path: string) => trim(path) === trim(dir) || trim(path).startsWith(`${trim(dir)}/`);
const volumeOf = (pod: any, name: string) => (pod.volumes ?? []).find((v: any) => v.name === name);
const commandText = (c: any) => [...(c.command ?? []), ...(c.args ?? [])].join(' ');

const mountOntoFile: RuntimeRule = {
  id: 'no-mount-onto-file',
  description: 'a folder volume is never mounted onto (or below) a file of the image, nor a single file onto a folder',
  check: (objects) =>
    containersOf(objects).flatMap(({ where, c, model }) => {
      if (!model) return [];
      return (c.volumeMounts ?? []).flatMap((m: any): RuntimeViolation[] => {
        const path = trim(m.mountPath);
        const file = Object.entries(model.paths).find(([p, info]) => info.type === 'file' && covers(p, path) && (p !== path || !m.subPath));
        if (file) {
          return [
            {
              rule: 'no-mount-onto-file',
              where,
              detail: `${m.name} at ${path}: ${file[0]} is a file in ${model.name} (${file[1].source}); the runtime refuses the mount`,
            },
          ];
        }
        const folder = model.paths[path];
        if (m.subPath && folder?.type === 'directory') {
          return [{ rule: 'no-mount-onto-file', where, detail: `${m.name} mounts one file onto ${path}, a folder in ${model.name}` }];
        }
        return [];
      });
    }),
};

/** Seeds: containers that mount `volume` away from the content path and copy the image's content from it. */
function seeds(all: readonly PodContainer[], pod: any, volumeName: string, contentPath: string): PodContainer[] {
  const claim = volumeOf(pod, volumeName)?.persistentVolumeClaim?.claimName;
  return all.filter((other) => {
    if (!other.init || !other.model?.content[contentPath] || !commandText(other.c).includes(contentPath)) return false;
    return (other.c.volumeMounts ?? []).some((m: any) => {
      if (covers(m.mountPath, contentPath)) return false;
      if (other.pod === pod && m.name === volumeName) return true;
      return claim !== undefined && volumeOf(other.pod, m.name)?.persistentVolumeClaim?.claimName === claim;
    });
  });
}

const hiddenContent: RuntimeRule = {
  id: 'no-hidden-content',
  description: 'a volume mounted over content the image ships (the system packs) is seeded with it by an init step',
  check: (objects) => {
    const all = containersOf(objects);
    return all.flatMap(({ where, pod, c, model, init }) => {
      if (!model || init) return [];
      return (c.volumeMounts ?? []).flatMap((m: any): RuntimeViolation[] => {
        return Object.entries(model.content).flatMap(([contentPath, content]) => {
          if (m.subPath || !covers(m.mountPath, contentPath)) return [];
          if (seeds(all, pod, m.name, contentPath).length > 0) return [];
          return [
            {
              rule: 'no-hidden-content',
              where,
              detail: `${m.name} at ${m.mountPath} hides ${content.what} (${content.entries.join(', ')}) and no init step copies them in`,
            },
          ];
        });
      });
    });
  },
};

const writablePaths: RuntimeRule = {
  id: 'writable-paths',
  description: "under a read-only root filesystem, every path the image's process writes is on a writable mount",
  check: (objects) =>
    containersOf(objects).flatMap(({ where, c, model }) => {
      if (!model || c.securityContext?.readOnlyRootFilesystem !== true) return [];
      const writable = (c.volumeMounts ?? []).filter((m: any) => m.readOnly !== true && !m.subPath);
      const runs = `${c.name} ${commandText(c)}`;
      return model.writes
        .filter((w) => !w.processes || w.processes.some((process) => new RegExp(`(^|[/ ])${process.replace(/\./g, '\\.')}( |$)`).test(runs)))
        .filter((w) => !writable.some((m: any) => covers(m.mountPath, w.path)))
        .map((w) => ({ rule: 'writable-paths', where, detail: `${w.path} is read-only, but ${w.why} (${w.source})` }));
    }),
};

const numericUser: RuntimeRule = {
  id: 'numeric-user-exists',
  description: 'every container runs as a numeric UID; where the process looks itself up, the image has that account',
  check: (objects) =>
    containersOf(objects).flatMap(({ where, pod, c, model }): RuntimeViolation[] => {
      // Pack images are the user's own (content.images): no model can know them; the README
      // says what they need (sh and cp, content readable by the st2 user).
      if (!model && /^pack-image-\d+$/.test(c.name)) return [];
      if (!model) return [{ rule: 'numeric-user-exists', where, detail: `no image model for ${c.image}: add it to lib/images/image-model.ts` }];
      const uid = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
      if (uid === undefined) {
        return [
          {
            rule: 'numeric-user-exists',
            where,
            detail: `no runAsUser: the image's USER ${model.defaultUser} is a name the kubelet cannot check for runAsNonRoot`,
          },
        ];
      }
      if (!model.needsPasswdEntry.value || userWithUid(model, uid)) return [];
      const known = model.users
        .filter((u) => u.uid)
        .map((u) => `${u.name}=${u.uid!.value}`)
        .join(', ');
      return [{ rule: 'numeric-user-exists', where, detail: `UID ${uid} has no account in ${model.name} (known: ${known}); ${model.needsPasswdEntry.source}` }];
    }),
};

const sharedClaims: RuntimeRule = {
  id: 'fsgroup-agreement',
  description: 'pods that mount the same claim agree on fsGroup (each start re-owns the tree for its own group)',
  check: (objects) => {
    const groups = new Map<string, Map<string, string[]>>();
    for (const { object, template } of podTemplates(objects)) {
      const fsGroup = String(template.spec.securityContext?.fsGroup ?? 'none');
      for (const volume of template.spec.volumes ?? []) {
        const claim = volume.persistentVolumeClaim?.claimName;
        if (!claim) continue;
        const byGroup = groups.get(claim) ?? new Map<string, string[]>();
        byGroup.set(fsGroup, [...(byGroup.get(fsGroup) ?? []), `${object.kind}/${object.metadata.name}`]);
        groups.set(claim, byGroup);
      }
    }
    return [...groups]
      .filter(([, byGroup]) => byGroup.size > 1)
      .map(([claim, byGroup]) => ({
        rule: 'fsgroup-agreement',
        where: `PersistentVolumeClaim/${claim}`,
        detail: [...byGroup].map(([group, pods]) => `fsGroup ${group}: ${pods.join(', ')}`).join('; '),
      }));
  },
};

/** What an st2 container reads from each of its `--config-file`s, in order; undefined where nothing provides the file. */
function configLayers(objects: readonly K8sObject[], pod: any, c: any): { file: string; document?: Record<string, Record<string, string>> }[] {
  const files = (c.command ?? []).filter((arg: string) => arg.startsWith('--config-file=')).map((arg: string) => arg.slice('--config-file='.length));
  return files.map((file: string) => {
    if (file === '/etc/st2/st2.conf') return { file, document: parse(renderIni(ST2_IMAGE_CONF as IniDocument)) };
    if (file === '/etc/st2/st2.docker.conf') return { file, document: {} };
    const mount = (c.volumeMounts ?? []).filter((m: any) => covers(m.mountPath, file)).sort((a: any, b: any) => b.mountPath.length - a.mountPath.length)[0];
    const volume = mount && volumeOf(pod, mount.name);
    if (volume?.configMap) {
      const key = file.slice(trim(mount.mountPath).length + 1);
      const item = (volume.configMap.items ?? []).find((i: any) => i.path === key)?.key ?? key;
      const data = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name)?.data?.[item];
      return { file, document: data === undefined ? undefined : parse(data) };
    }
    if (volume?.emptyDir) {
      // Written at start by prepare.py: the secrets file from the shared template, or a sensor partition.
      const shared = (c.volumeMounts ?? []).find((m: any) => m.mountPath === '/etc/st2/shared');
      const sharedMap = shared && volumeOf(pod, shared.name)?.configMap?.name;
      const template = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === sharedMap)?.data?.['st2.secrets.conf.template'];
      if (file.endsWith('/st2.secrets.conf') && template !== undefined) return { file, document: parse(template) };
      if (file.endsWith('/sensor-partition.conf')) return { file, document: { sensorcontainer: { sensor_node_name: '', partition_provider: '' } } };
    }
    return { file };
  });
}

const configLayering: RuntimeRule = {
  id: 'config-layering',
  description: "st2.conf layering (the image's own file first, then ours) leaves no image default we did not mean",
  check: (objects) =>
    containersOf(objects).flatMap(({ where, pod, c }): RuntimeViolation[] => {
      const layers = configLayers(objects, pod, c);
      if (layers.length === 0) return [];
      const violations: RuntimeViolation[] = [];
      for (const layer of layers) {
        if (!layer.document)
          violations.push({ rule: 'config-layering', where, detail: `--config-file=${layer.file} is provided by no mount the checks can resolve` });
      }
      const ours = layers.slice(1).flatMap((layer) => (layer.document ? [layer.document] : []));
      const setByUs = (option: string) => {
        const [section, key] = option.split('.');
        return ours.some((document) => document[section]?.[key] !== undefined);
      };
      for (const { option, replacedBy, why } of ST2_IMAGE_CONF_MUST_OVERRIDE) {
        if (!replacedBy.some(setByUs))
          violations.push({ rule: 'config-layering', where, detail: `the image's ${option} holds (${why}): set ${replacedBy.join(' or ')}` });
      }
      const effective: Record<string, Record<string, string>> = {};
      for (const layer of layers) for (const [section, keys] of Object.entries(layer.document ?? {})) effective[section] = { ...effective[section], ...keys };
      const apiUrl = effective.auth?.api_url ?? '';
      if (!/^http:\/\/st2api\.[a-z0-9-]+\.svc\.[a-z0-9.-]+:9101$/.test(apiUrl)) {
        violations.push({
          rule: 'config-layering',
          where,
          detail: `[auth] api_url is ${JSON.stringify(apiUrl)}: actions and sensors must reach the in-cluster st2api Service, not the public URL`,
        });
      }
      if (/127\.0\.0\.1|localhost/.test(effective.coordination?.url ?? '')) {
        violations.push({ rule: 'config-layering', where, detail: `[coordination] url ${effective.coordination.url} points at the container itself` });
      }
      return violations;
    }),
};

export const RUNTIME_RULES: readonly RuntimeRule[] = [mountOntoFile, hiddenContent, writablePaths, numericUser, sharedClaims, configLayering];

export function runtimeViolations(objects: readonly K8sObject[]): RuntimeViolation[] {
  return RUNTIME_RULES.flatMap((rule) => rule.check(objects));
}
