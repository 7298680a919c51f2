import { ENVIRONMENTS } from '../../environments';
import { IMAGE_MODELS, imageModelOf, repositoryName, ST2_IMAGE_CONF, ST2_IMAGE_CONF_MUST_OVERRIDE } from '../../lib/images/image-model';
import { K8sObject, readDist, synth } from '../support/synth';
import { ALL_ENVIRONMENT_NAMES, environmentObjects } from '../support/environments';
import { RUNTIME_RULES, runtimeViolations, runtimeViolations as checkAll } from './pod-runtime';

const environments = ALL_ENVIRONMENT_NAMES;
const clone = (objects: readonly K8sObject[]): K8sObject[] => JSON.parse(JSON.stringify(objects));
const get = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const spec = (objects: K8sObject[], kind: string, name: string) => get(objects, kind, name).spec.template.spec;
describe('the image model', () => {
  test('every fact names its source, and certainty is explicit', () => {
    for (const model of IMAGE_MODELS) {
      expect([model.name, model.architectures.source.length > 0, model.needsPasswdEntry.source.length > 0]).toEqual([model.name, true, true]);
      for (const user of model.users) {
        for (const fact of [user.uid, user.gid]) if (fact) expect([model.name, user.name, fact.source.length > 0]).toEqual([model.name, user.name, true]);
      }
      for (const [path, info] of Object.entries(model.paths)) expect([path, info.source.length > 0]).toEqual([path, true]);
      for (const write of model.writes) expect([write.path, write.source.length > 0, write.why.length > 0]).toEqual([write.path, true, true]);
    }
  });
  test("st2's own UID is not a fact: only stanley (and root) have numeric ids in the st2 images", () => {
    const st2 = imageModelOf('docker.io/stackstorm/st2api:3.9.0')!;
    expect(st2.users.find((u) => u.name === 'st2')!.uid).toBeUndefined();
    expect(st2.users.find((u) => u.name === 'stanley')!.uid).toMatchObject({ value: 1000, certainty: 'inferred' });
    expect(st2.paths['/etc/st2/htpasswd'].type).toBe('file');
  });
  test('repository names are found through registries, tags and digests', () => {
    expect(repositoryName('registry.corp:5000/mirror/stackstorm/st2api:3.9.0@sha256:' + 'a'.repeat(64))).toBe('st2api');
    expect(imageModelOf('zookeeper:3.8.4')!.name).toBe('zookeeper');
    expect(imageModelOf('example/unknown:1')).toBeUndefined();
  });
  test("every option we must override exists in the image's st2.conf", () => {
    for (const { option } of ST2_IMAGE_CONF_MUST_OVERRIDE) {
      const [section, key] = option.split('.');
      expect([option, ST2_IMAGE_CONF[section]?.[key] !== undefined]).toEqual([option, true]);
    }
  });
});

describe.each(environments)('%s as the kubelet and the images would run it', (environment) => {
  const objects = environmentObjects(environment);
  // Includes that every image has a model: numeric-user-exists reports any it lacks.
  test('no pod-runtime violation', () => {
    expect(runtimeViolations(objects)).toEqual([]);
  });
});

test('chatops and images content hold too (settings the shipped environments do not use)', () => {
  const settings = {
    ...ENVIRONMENTS.ha,
    st2: { ...ENVIRONMENTS.ha.st2, chatops: { enabled: true, adapterSecret: 'hubot' } },
    content: { strategy: 'images' as const, images: [{ repository: 'example/st2-packs', tag: '1.0.0' }] },
  };
  // Pack images are the user's own, so no model can know them (the rule skips them); everything else must hold.
  expect(runtimeViolations(synth(settings, 'variant'))).toEqual([]);
});

// Each rule is shown to bite on a deliberately broken copy of dist/ha (or dist/dev).
describe('each rule fails on a broken copy', () => {
  const ha = readDist('ha');
  const dev = readDist('dev');
  // Rules seen firing on a broken copy below; the last test requires every rule among them.
  const bitten = new Set<string>();
  const runtimeViolations = (objects: readonly K8sObject[]) => {
    const found = checkAll(objects);
    for (const violation of found) bitten.add(violation.rule);
    return found;
  };
  const ids = (objects: readonly K8sObject[]) => [...new Set(runtimeViolations(objects).map((v) => `${v.rule} ${v.where}`))].sort();

  test("the htpasswd Secret mounted at the image's /etc/st2/htpasswd file (st2auth would never start)", () => {
    const broken = clone(ha);
    const auth = spec(broken, 'Deployment', 'st2auth').containers[0];
    auth.volumeMounts.find((m: any) => m.name === 'htpasswd').mountPath = '/etc/st2/htpasswd';
    expect(ids(broken)).toEqual(['no-mount-onto-file Deployment/st2auth/st2auth']);
  });

  test('the packs claim without the seed step that copies the system packs in', () => {
    const broken = clone(ha);
    const job = spec(broken, 'Job', 'st2-register-content');
    job.initContainers = job.initContainers.filter((c: any) => c.name !== 'seed-system-packs');
    expect(ids(broken)).toEqual(
      expect.arrayContaining(['no-hidden-content Deployment/st2actionrunner/st2actionrunner', 'no-hidden-content Job/st2-register-content/register-content']),
    );
  });

  test('a read-only root filesystem for the action runner, and no /tmp for st2api', () => {
    const broken = clone(ha);
    spec(broken, 'Deployment', 'st2actionrunner').containers[0].securityContext.readOnlyRootFilesystem = true;
    const api = spec(broken, 'Deployment', 'st2api').containers[0];
    api.volumeMounts = api.volumeMounts.filter((m: any) => m.mountPath !== '/tmp');
    const found = runtimeViolations(broken).filter((v) => v.rule === 'writable-paths');
    expect(found.map((v) => `${v.where} ${v.detail.split(' ')[0]}`).sort()).toEqual([
      'Deployment/st2actionrunner/st2actionrunner /home/stanley',
      'Deployment/st2actionrunner/st2actionrunner /opt/stackstorm',
      'Deployment/st2actionrunner/st2actionrunner /var/spool',
      'Deployment/st2api/st2api /tmp',
    ]);
  });

  test('the guessed UID 999 (no passwd entry in the st2 images), and a pod with no numeric user', () => {
    const broken = clone(ha);
    spec(broken, 'Deployment', 'st2api').securityContext.runAsUser = 999;
    for (const c of [...spec(broken, 'Deployment', 'st2api').containers, ...spec(broken, 'Deployment', 'st2api').initContainers])
      c.securityContext.runAsUser = 999;
    delete spec(broken, 'Deployment', 'nginx').securityContext.runAsUser;
    for (const c of spec(broken, 'Deployment', 'nginx').containers) delete c.securityContext.runAsUser;
    expect(ids(broken)).toEqual([
      'numeric-user-exists Deployment/nginx/nginx',
      'numeric-user-exists Deployment/st2api/prepare',
      'numeric-user-exists Deployment/st2api/st2api',
    ]);
  });

  test('an image nobody modelled', () => {
    const broken = clone(ha);
    spec(broken, 'Deployment', 'st2api').containers[0].image = 'example/sidecar:1.0.0';
    expect(runtimeViolations(broken).map((v) => v.detail)).toEqual(
      expect.arrayContaining(['no image model for example/sidecar:1.0.0: add it to lib/images/image-model.ts']),
    );
  });

  test('two fsGroups on the packs claim (fsGroup 0 on the action runner)', () => {
    const broken = clone(ha);
    spec(broken, 'Deployment', 'st2actionrunner').securityContext.fsGroup = 0;
    expect(ids(broken)).toEqual([
      'fsgroup-agreement PersistentVolumeClaim/st2-pack-configs',
      'fsgroup-agreement PersistentVolumeClaim/st2-packs',
      'fsgroup-agreement PersistentVolumeClaim/st2-virtualenvs',
    ]);
  });

  test("dev without [coordination] url: the image's redis on 127.0.0.1 wins the layering (st2scheduler crash-loops)", () => {
    const broken = clone(dev);
    const map = get(broken, 'ConfigMap', 'st2-config');
    map.data!['st2.conf'] = map.data!['st2.conf'].replace(/\[coordination\]\nurl =\n/, '');
    const found = runtimeViolations(broken).filter((v) => v.rule === 'config-layering');
    expect(found.length).toBeGreaterThan(0);
    expect(found.map((v) => v.detail)).toEqual(
      found.map(() =>
        expect.stringMatching(/^the image's coordination\.url holds|^\[coordination\] url redis:\/\/127\.0\.0\.1:6379 points at the container itself$/),
      ),
    );
    expect(found.map((v) => v.where)).toEqual(expect.arrayContaining(['Deployment/st2scheduler/st2scheduler']));
  });

  test('api_url set to the public URL: actions would go through the load balancer', () => {
    const broken = clone(ha);
    const map = get(broken, 'ConfigMap', 'st2-config');
    map.data!['st2.conf'] = map.data!['st2.conf'].replace(/^api_url = .*$/m, 'api_url = https://stackstorm.example.com/api');
    const found = runtimeViolations(broken).filter((v) => v.rule === 'config-layering');
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((v) => v.detail.startsWith('[auth] api_url is "https://stackstorm.example.com/api"'))).toBe(true);
  });

  test('a config file no mount provides', () => {
    const broken = clone(ha);
    spec(broken, 'Deployment', 'st2api').containers[0].command.push('--config-file=/etc/st2/nowhere/extra.conf');
    expect(runtimeViolations(broken).map((v) => v.detail)).toEqual([
      '--config-file=/etc/st2/nowhere/extra.conf is provided by no mount the checks can resolve',
    ]);
  });

  test('every rule fired in one of the tests above', () => {
    expect([...bitten].sort()).toEqual(RUNTIME_RULES.map((rule) => rule.id).sort());
  });
});
