import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { ComponentProfile, declareProfile } from '../common/component-profile';
import { check } from '../common/errors';
import { componentLabels, labelAll } from '../common/meta';
import { RESOURCE_PRESETS } from '../common/resources';
import { St2RbacSettings } from '../config/st2';
import { st2HookJob } from './hook-job';
import { st2Image } from './images';
import { ST2_PATHS } from './st2-conf';
import { addSt2Containers, St2Runtime } from './st2-process';

/** Roles every StackStorm has; assignments may name them without defining them. */
export const BUILT_IN_ROLES: readonly string[] = ['system_admin', 'admin', 'observer'];

/**
 * Applies the definitions after content registration (grants name packs): the last wave,
 * beside the edge, which it does not wait for. A Sync hook, so it re-runs on every sync.
 */
export const ST2_APPLY_RBAC_PROFILE: ComponentProfile = { name: 'st2-apply-rbac', syncStage: 'edge' };

const ROLE_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** Where st2-apply-rbac-definitions reads (`<system.base_path>/rbac`); a VOLUME of the st2 images. */
const RBAC_DIR = '/opt/stackstorm/rbac';
const DEFINITIONS_DIR = '/etc/st2/rbac-definitions';

/** The definition files, `roles/<name>.yaml`, `assignments/<user>.yaml`, `mappings/<n>.yaml`, as ConfigMap keys (`/` is `__`). */
export function rbacFiles(settings: St2RbacSettings): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, role] of Object.entries(settings.roles ?? {})) {
    files[`roles__${name}.yaml`] = stringify({
      name,
      description: role.description,
      enabled: role.enabled ?? true,
      permission_grants: (role.permission_grants ?? []).map((grant) => ({ resource_uid: grant.resource_uid, permission_types: [...grant.permission_types] })),
    });
  }
  for (const [username, roles] of Object.entries(settings.assignments ?? {})) {
    files[`assignments__${fileName(username)}.yaml`] = stringify({ username, roles: [...roles] });
  }
  Object.entries(settings.groupMappings ?? {}).forEach(([group, roles], index) => {
    files[`mappings__group-${index}.yaml`] = stringify({ group, roles: [...roles], description: `StackStormHa: ${group}` });
  });
  return files;
}

/** A file name (a ConfigMap key: letters, digits, -, _ and .) for a user name: other characters as _<hex>. */
function fileName(username: string): string {
  return username.replace(/[^A-Za-z0-9.-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}

/** Checks RBAC settings: role names, and that every assignment or mapping names a role that exists. */
export function checkRbac(settings: St2RbacSettings): void {
  const defined = Object.keys(settings.roles ?? {});
  for (const name of defined) {
    check(ROLE_NAME.test(name), `st2.rbac.roles.${name}`, 'is not a role name', 'use lower-case letters, digits, _ and -');
    check(!BUILT_IN_ROLES.includes(name), `st2.rbac.roles.${name}`, 'is a built-in role', 'give your role another name');
    (settings.roles![name].permission_grants ?? []).forEach((grant, index) => {
      const at = `st2.rbac.roles.${name}.permission_grants[${index}]`;
      check((grant.permission_types ?? []).length > 0, `${at}.permission_types`, 'grants nothing', 'list the permission types, e.g. action_execute');
      check(
        grant.resource_uid === undefined || /^[a-z_]+:\S+$/.test(grant.resource_uid),
        `${at}.resource_uid`,
        `${JSON.stringify(grant.resource_uid)} is not a resource UID`,
        'write type:reference, e.g. pack:corp',
      );
    });
  }
  const known = new Set([...BUILT_IN_ROLES, ...defined]);
  const checkRoles = (roles: readonly string[], at: string) => {
    check(roles.length > 0, at, 'names no role', 'list at least one role');
    for (const role of roles)
      check(
        known.has(role),
        at,
        `role ${role} is neither defined in st2.rbac.roles nor built in (${BUILT_IN_ROLES.join(', ')})`,
        `define ${role} in st2.rbac.roles, or fix the name`,
      );
  };
  for (const [user, roles] of Object.entries(settings.assignments ?? {})) {
    // The names are also matched in the Job's shell step: plain account names only.
    check(/^[A-Za-z0-9@._-]+$/.test(user), `st2.rbac.assignments.${user}`, 'is not a user name', 'use letters, digits, @, ., _ and -');
    checkRoles(roles, `st2.rbac.assignments.${user}`);
  }
  for (const [group, roles] of Object.entries(settings.groupMappings ?? {})) checkRoles(roles, `st2.rbac.groupMappings.${group}`);
}

/** Props of {@link St2Rbac}. */
export interface St2RbacProps {
  readonly runtime: St2Runtime;
  /** Roles, assignments and mappings; `enabled` must be true. */
  readonly settings: St2RbacSettings;
}

/**
 * StackStorm RBAC definitions and the Job that applies them. The files sit in a ConfigMap;
 * the Job copies them into st2's RBAC folder, adds `system_admin` for the admin account (its
 * name is in a Secret, so it is written at run time, not into the ConfigMap) unless the
 * settings assign it, and runs `st2-apply-rbac-definitions`, which makes the database match
 * the files: idempotent, so it runs on every sync.
 */
export class St2Rbac extends Construct {
  public readonly configMap: kplus.ConfigMap;
  public readonly job: kplus.Job;

  constructor(scope: Construct, id: string, props: St2RbacProps) {
    super(scope, id);
    const { runtime, settings } = props;
    checkRbac(settings);
    this.configMap = new kplus.ConfigMap(this, 'Definitions', { metadata: { name: 'st2-rbac' }, data: rbacFiles(settings) });
    labelAll(this, componentLabels(runtime.identity, 'st2-rbac', 'job', runtime.release.version));
    this.job = st2HookJob(this, 'Job', { runtime, name: ST2_APPLY_RBAC_PROFILE.name, phase: 'Sync', backoffLimit: 6, activeDeadline: Duration.minutes(30) });
    declareProfile(this.job, ST2_APPLY_RBAC_PROFILE);
    const admin = kplus.Secret.fromSecretName(this, 'Admin', runtime.secrets.adminCredentials);
    const assigned = Object.keys(settings.assignments ?? {});
    const configArgs = [ST2_PATHS.imageConfig, ST2_PATHS.imageDockerConfig, ST2_PATHS.sharedConfig, ST2_PATHS.secretsConfig].map(
      (file) => `--config-file=${file}`,
    );
    // The admin gets system_admin unless the settings assign it themselves.
    const script = [
      'set -eu',
      `mkdir -p ${RBAC_DIR}/roles ${RBAC_DIR}/assignments ${RBAC_DIR}/mappings`,
      `for file in ${DEFINITIONS_DIR}/*__*.yaml; do [ -e "$file" ] || continue; name="\${file##*/}"; cp "$file" "${RBAC_DIR}/\${name%%__*}/\${name#*__}"; done`,
      `case " ${assigned.join(' ')} " in *" $ST2_ADMIN_USERNAME "*) ;; *) printf 'username: "%s"\\nroles:\\n  - system_admin\\n' "$ST2_ADMIN_USERNAME" > ${RBAC_DIR}/assignments/stackstorm-ha-admin.yaml ;; esac`,
      `exec ${ST2_PATHS.bin}/st2-apply-rbac-definitions ${configArgs.join(' ')}`,
    ].join('\n');
    const container = addSt2Containers(this.job, this.job, {
      runtime,
      setting: 'st2.rbac',
      containerName: 'apply-rbac',
      image: st2Image(runtime, 'st2actionrunner'),
      command: ['/bin/sh', '-c', script],
      resources: RESOURCE_PRESETS.small,
      runAs: runtime.st2User,
      env: { ST2_ADMIN_USERNAME: kplus.EnvValue.fromSecretValue({ secret: admin, key: 'username' }) },
    });
    container.mount(DEFINITIONS_DIR, kplus.Volume.fromConfigMap(this, 'DefinitionsVolume', this.configMap, { name: 'rbac-definitions' }), { readOnly: true });
    container.mount(RBAC_DIR, kplus.Volume.fromEmptyDir(this, 'RbacDir', 'rbac'));
  }
}
