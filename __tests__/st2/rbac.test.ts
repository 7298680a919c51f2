/** st2.rbac: [rbac] in st2.conf, the definition files st2-apply-rbac-definitions reads, and the Job that applies them. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { ENVIRONMENTS } from '../../environments';
import { StackStormHaSettings } from '../../lib';
import { expectSettingError } from '../support/errors';
import { parse as parseIni } from '../support/ini';
import { validateAll } from '../support/k8s-schema';
import { find, podTemplates, synth } from '../support/synth';

const RBAC: NonNullable<StackStormHaSettings['st2']>['rbac'] = {
  enabled: true,
  roles: {
    operator: { description: 'Runs corp actions', permission_grants: [{ resource_uid: 'pack:corp', permission_types: ['action_execute', 'action_view'] }] },
  },
  assignments: { alice: ['operator'], 'bob@corp.example': ['observer'] },
  groupMappings: { 'cn=st2-ops,ou=groups,dc=corp': ['operator'] },
};
const withRbac = (rbac: object): StackStormHaSettings => ({ ...ENVIRONMENTS.ha, st2: { ...ENVIRONMENTS.ha.st2, rbac } });
const objects = synth(withRbac(RBAC));
const job = podTemplates(objects).find(({ object }) => object.metadata.name === 'st2-apply-rbac')!;

test('st2.conf turns RBAC on with the default backend and syncs remote groups', () => {
  expect(parseIni(find(objects, 'ConfigMap', 'st2-config').data!['st2.conf']).rbac).toEqual({ enable: 'True', backend: 'default', sync_remote_groups: 'True' });
  expect(parseIni(find(synth(ENVIRONMENTS.ha), 'ConfigMap', 'st2-config').data!['st2.conf']).rbac).toEqual({ enable: 'False' });
});

test('the definitions are StackStorm role, assignment and mapping files', () => {
  const data = find(objects, 'ConfigMap', 'st2-rbac').data!;
  expect(parse(data['roles__operator.yaml'])).toEqual({
    name: 'operator',
    description: 'Runs corp actions',
    enabled: true,
    permission_grants: [{ resource_uid: 'pack:corp', permission_types: ['action_execute', 'action_view'] }],
  });
  expect(parse(data['assignments__alice.yaml'])).toEqual({ username: 'alice', roles: ['operator'] });
  expect(parse(data['assignments__bob_40corp.example.yaml'])).toEqual({ username: 'bob@corp.example', roles: ['observer'] });
  expect(parse(data['mappings__group-0.yaml'])).toEqual(expect.objectContaining({ group: 'cn=st2-ops,ou=groups,dc=corp', roles: ['operator'] }));
});

test('the Job runs after content registration, reads the admin name from its Secret, and is valid', () => {
  expect(job.object.metadata.annotations!['argocd.argoproj.io/sync-wave']).toBe('5');
  expect(find(objects, 'Job', 'st2-register-content').metadata.annotations!['argocd.argoproj.io/sync-wave']).toBe('4');
  const main = job.template.spec.containers[0];
  expect(main.env).toContainEqual({ name: 'ST2_ADMIN_USERNAME', valueFrom: { secretKeyRef: { name: 'st2-admin', key: 'username' } } });
  expect(main.command[2]).toContain('/opt/stackstorm/st2/bin/st2-apply-rbac-definitions --config-file=/etc/st2/st2.conf');
  expect(find(objects, 'NetworkPolicy', 'st2-apply-rbac').spec.egress).toContainEqual(expect.objectContaining({ ports: [{ port: 27017, protocol: 'TCP' }] }));
  expect(validateAll(objects)).toEqual([]);
});

test("the Job's shell step lays the files out as st2 expects and gives the admin system_admin unless assigned", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbac-'));
  try {
    const definitions = path.join(dir, 'definitions');
    const rbacDir = path.join(dir, 'rbac');
    fs.mkdirSync(definitions);
    for (const [name, text] of Object.entries(find(objects, 'ConfigMap', 'st2-rbac').data!)) fs.writeFileSync(path.join(definitions, name), text);
    const script = (job.template.spec.containers[0].command[2] as string)
      .replaceAll('/etc/st2/rbac-definitions', definitions)
      .replaceAll('/opt/stackstorm/rbac', rbacDir)
      .replace(/exec \S+st2-apply-rbac-definitions.*$/m, 'find "$0" -type f | sort');
    const run = (admin: string) => execFileSync('sh', ['-c', script, rbacDir], { env: { ST2_ADMIN_USERNAME: admin }, encoding: 'utf8' });
    expect(
      run('st2admin')
        .split('\n')
        .filter(Boolean)
        .map((f) => path.relative(rbacDir, f)),
    ).toEqual([
      'assignments/alice.yaml',
      'assignments/bob_40corp.example.yaml', // ConfigMap keys allow no @
      'assignments/stackstorm-ha-admin.yaml',
      'mappings/group-0.yaml',
      'roles/operator.yaml',
    ]);
    expect(parse(fs.readFileSync(path.join(rbacDir, 'assignments', 'stackstorm-ha-admin.yaml'), 'utf8'))).toEqual({
      username: 'st2admin',
      roles: ['system_admin'],
    });
    fs.rmSync(rbacDir, { recursive: true });
    expect(run('alice')).not.toContain('stackstorm-ha-admin.yaml');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('bad input', () => {
  test.each([
    [{ roles: { a: {} } }, 'st2.rbac.enabled', 'RBAC is off'],
    [{ enabled: true, assignments: { alice: ['operater'] } }, 'st2.rbac.assignments.alice', 'role operater is neither defined in st2.rbac.roles nor built in'],
    [{ enabled: true, groupMappings: { 'cn=x': ['nope'] } }, 'st2.rbac.groupMappings.cn=x', 'role nope is neither defined'],
    [{ enabled: true, assignments: { alice: [] } }, 'st2.rbac.assignments.alice', 'names no role'],
    [{ enabled: true, assignments: { 'a b': ['admin'] } }, 'st2.rbac.assignments.a b', 'is not a user name'],
    [{ enabled: true, roles: { Admin: {} } }, 'st2.rbac.roles.Admin', 'is not a role name'],
    [{ enabled: true, roles: { observer: {} } }, 'st2.rbac.roles.observer', 'is a built-in role'],
    [
      { enabled: true, roles: { r: { permission_grants: [{ permission_types: [] }] } } },
      'st2.rbac.roles.r.permission_grants[0].permission_types',
      'grants nothing',
    ],
    [
      { enabled: true, roles: { r: { permission_grants: [{ resource_uid: 'corp', permission_types: ['action_view'] }] } } },
      'st2.rbac.roles.r.permission_grants[0].resource_uid',
      'is not a resource UID',
    ],
  ])('%j', (rbac, setting, message) => expectSettingError(() => synth(withRbac(rbac)), setting, message));
});
