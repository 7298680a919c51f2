/**
 * What the official images need to start, asserted on dist/ (each fails on the dist/ of
 * before the image review) and on settings the shipped environments do not use.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KEPT_PACKS, REFRESHED_PACKS, SEED_SCRIPT_PATH } from '../../lib/st2/content';
import { parse } from '../support/ini';
import { expectSettingError } from '../support/errors';
import { find, K8sObject, podTemplates, readDist, synth } from '../support/synth';
import { ALL_ENVIRONMENT_NAMES, ALL_ENVIRONMENTS, environmentObjects } from '../support/environments';

const environments = ALL_ENVIRONMENT_NAMES;
const st2Image = (image: string) => /\/(st2[a-z-]*|mistral):/.test(image);

describe.each(environments)('%s', (environment) => {
  const objects = environmentObjects(environment);
  const st2Pods = podTemplates(objects).filter(({ template }) => template.spec.containers.some((c: any) => st2Image(c.image)));

  test('st2 images are pinned to a full release, never a floating X.Y tag', () => {
    for (const { template } of st2Pods) {
      for (const c of [...(template.spec.initContainers ?? []), ...template.spec.containers]) {
        if (st2Image(c.image)) expect(c.image).toMatch(/:[0-9]+\.[0-9]+\.[0-9]+(@sha256:[0-9a-f]{64})?$/);
      }
    }
  });

  test('every st2 pod is scheduled on amd64 only (the images have no other architecture)', () => {
    expect(st2Pods.length).toBeGreaterThan(5);
    for (const { object, template } of st2Pods) {
      expect([object.metadata.name, template.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution]).toEqual([
        object.metadata.name,
        {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }],
        },
      ]);
    }
  });

  test('st2.conf: no [log] section, api_url in-cluster, webui_base_url public, coordination url always set', () => {
    const conf = parse(find(objects, 'ConfigMap', 'st2-config').data!['st2.conf']);
    expect(conf.log).toBeUndefined();
    expect(conf.auth.api_url).toMatch(/^http:\/\/st2api\.[a-z0-9-]+\.svc\.cluster\.local:9101$/);
    expect(conf.webui.webui_base_url).toMatch(/^https:\/\//);
    // Always set, never the image's redis on 127.0.0.1; empty (tooz's no-op) without a backend.
    const coordination = ALL_ENVIRONMENTS[environment].datastores?.coordination;
    if (coordination?.backend === 'none') expect(conf.coordination.url).toBe('');
    else if (coordination?.backend === 'external') expect(conf.coordination.url).toBe(coordination.externalUrl);
    else expect(conf.coordination.url).toMatch(/^(redis|kazoo):\/\/[a-z]+-0\./);
  });

  test('the smoke test is there: an Argo CD PostSync hook that waits for st2, with its own NetworkPolicy', () => {
    const job = find(objects, 'Job', 'st2-smoke-test');
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PostSync' });
    const pod = job.spec.template.spec;
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.ST2_AUTH_PASSWORD).toEqual({ secretKeyRef: { name: 'st2-admin', key: 'password' } });
    expect(env.SMOKE_EXPECT_VERSION).toBe(ALL_ENVIRONMENTS[environment].release?.version ?? '3.9.0');
    expect(Number(env.SMOKE_WAIT_SECONDS)).toBeGreaterThanOrEqual(30);
    expect(job.spec.backoffLimit).toBe(0);
    expect(find(objects, 'ConfigMap', 'st2-smoke-test').data!['smoke-test.sh']).toBe(
      fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'st2', 'scripts', 'smoke-test.sh'), 'utf8'),
    );
    const policy = find(objects, 'NetworkPolicy', 'st2-smoke-test');
    const targets = policy.spec.egress.flatMap((rule: any) => rule.to.map((to: any) => to.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? 'dns'));
    expect(targets.sort()).toEqual(['dns', 'st2api', 'st2auth', 'st2stream']);
  });
});

test('ha: the content Job seeds the system packs into the claim before it registers', () => {
  const job = find(readDist('ha'), 'Job', 'st2-register-content').spec.template.spec;
  expect(job.initContainers.map((c: any) => c.name)).toEqual(['prepare', 'seed-system-packs']);
  const seed = job.initContainers[1];
  expect(seed.command).toEqual([
    'sh',
    '/etc/st2/content-scripts/seed-system-packs.sh',
    '/opt/stackstorm/packs',
    '/content/packs',
    'core,packs,linux,chatops',
    'default',
  ]);
  expect(seed.volumeMounts.find((m: any) => m.name === 'packs').mountPath).toBe('/content/packs');
  expect(job.volumes.find((v: any) => v.name === 'packs').persistentVolumeClaim.claimName).toBe('st2-packs');
});

test('ha-zookeeper: each ZooKeeper member keeps its data on a claim of its own', () => {
  const set = find(readDist('ha-zookeeper'), 'StatefulSet', 'zookeeper');
  expect(set.spec.volumeClaimTemplates.map((t: any) => [t.metadata.name, t.spec.resources.requests.storage])).toEqual([['data', '2Gi']]);
  expect(set.spec.template.spec.volumes.some((v: any) => v.name === 'data')).toBe(false);
  expect(set.spec.template.spec.containers[0].volumeMounts).toEqual(expect.arrayContaining([{ name: 'data', mountPath: '/data' }]));
});

test('ha-legacy-mistral: st2 2.8 has no graceful shutdown, so no drain options and the default grace period', () => {
  const objects = readDist('ha-legacy-mistral');
  expect(parse(find(objects, 'ConfigMap', 'st2-config').data!['st2.conf']).actionrunner).toBeUndefined();
  expect(find(objects, 'Deployment', 'st2actionrunner').spec.template.spec.terminationGracePeriodSeconds).toBe(30);
});

describe('settings the shipped environments do not use', () => {
  const all = (objects: readonly K8sObject[]) => JSON.stringify(objects);

  test('clusterDomain reaches every name we render, cluster.local none', () => {
    const text = all(synth({ clusterDomain: 'corp.internal' }, 'domain'));
    expect(text).not.toContain('cluster.local');
    expect(text).toContain('st2api.stackstorm.svc.corp.internal:9101');
    expect(text).toContain('mongodb-0.mongodb-headless.stackstorm.svc.corp.internal:27017');
    expect(text).toContain('kube-dns.kube-system.svc.corp.internal');
  });

  test('a digest pins every st2 image by content', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const objects = synth({ release: { version: '3.9', digest } }, 'digest');
    const images = podTemplates(objects)
      .flatMap(({ template }) => template.spec.containers.map((c: any) => c.image))
      .filter(st2Image);
    expect(images.length).toBeGreaterThan(5);
    for (const image of images) expect(image).toMatch(new RegExp(`:3\\.9@${digest}$`));
  });

  test('st2RunAs and architectures reach every st2 pod', () => {
    const objects = synth({ release: { st2RunAs: { user: 1234, group: 2345 }, architectures: ['amd64', 'arm64'] } }, 'runas');
    const api = find(objects, 'Deployment', 'st2api').spec.template.spec;
    expect(api.securityContext).toMatchObject({ runAsUser: 1234, runAsGroup: 2345, fsGroup: 2345 });
    expect(api.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values).toEqual([
      'amd64',
      'arm64',
    ]);
    expect(find(objects, 'Deployment', 'st2actionrunner').spec.template.spec.securityContext).toMatchObject({ runAsUser: 0, fsGroup: 2345 });
  });

  test('the smoke test is left out when a component it needs is off, and can be turned off', () => {
    const kinds = (objects: readonly K8sObject[]) =>
      objects
        .filter((o) => o.metadata.name === 'st2-smoke-test')
        .map((o) => o.kind)
        .sort();
    expect(kinds(synth({ st2: { stream: { enabled: false } } }, 'nostream'))).toEqual([]);
    expect(kinds(synth({ st2: { smokeTest: { enabled: false } } }, 'off'))).toEqual([]);
    expect(kinds(synth({}, 'on'))).toEqual(['ConfigMap', 'Job', 'NetworkPolicy']);
    expectSettingError(
      () => synth({ st2: { actionRunner: { enabled: false }, smokeTest: { enabled: true } } }, 'x'),
      'st2.smokeTest.enabled',
      'st2.actionRunner is not deployed',
    );
  });
});

describe('seed-system-packs.sh (run by the content Job)', () => {
  const script = path.join(__dirname, '..', '..', SEED_SCRIPT_PATH);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seed-'));
    for (const pack of [...REFRESHED_PACKS, ...KEPT_PACKS]) {
      fs.mkdirSync(path.join(dir, 'image', pack, 'actions'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'image', pack, 'pack.yaml'), `name: ${pack}\nversion: new\n`);
      fs.writeFileSync(path.join(dir, 'image', pack, 'actions', 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    }
    fs.mkdirSync(path.join(dir, 'volume'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const seed = () =>
    spawnSync('sh', [script, path.join(dir, 'image'), path.join(dir, 'volume'), REFRESHED_PACKS.join(','), KEPT_PACKS.join(',')], {
      encoding: 'utf8',
      timeout: 20_000,
    });
  const read = (...parts: string[]) => fs.readFileSync(path.join(dir, 'volume', ...parts), 'utf8');

  test('an empty volume gets every shipped pack, scripts still executable', () => {
    expect(seed().status).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'volume')).sort()).toEqual([...REFRESHED_PACKS, ...KEPT_PACKS].sort());
    expect(fs.statSync(path.join(dir, 'volume', 'core', 'actions', 'run.sh')).mode & 0o111).not.toBe(0);
  });

  test('an upgrade replaces the system packs, keeps default and never touches user packs', () => {
    for (const pack of ['core', 'default', 'mycorp']) {
      fs.mkdirSync(path.join(dir, 'volume', pack), { recursive: true });
      fs.writeFileSync(path.join(dir, 'volume', pack, 'pack.yaml'), `name: ${pack}\nversion: old\n`);
      fs.writeFileSync(path.join(dir, 'volume', pack, 'stale.txt'), 'gone upstream');
    }
    const result = seed();
    expect(result.status).toBe(0);
    expect(read('core', 'pack.yaml')).toContain('version: new');
    expect(fs.existsSync(path.join(dir, 'volume', 'core', 'stale.txt'))).toBe(false);
    expect(read('default', 'pack.yaml')).toContain('version: old');
    expect(read('mycorp', 'pack.yaml')).toContain('version: old');
    expect(fs.readdirSync(path.join(dir, 'volume')).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  // The Job runs it as stanley (1000) while root-run actions may have written into the packs.
  const asStanley = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0 ? test : test.skip;
  asStanley('as uid 1000, files root left in a system pack do not stop the refresh', () => {
    fs.chmodSync(dir, 0o755);
    const cache = path.join(dir, 'volume', 'core', 'actions', '__pycache__');
    fs.mkdirSync(cache, { recursive: true });
    fs.writeFileSync(path.join(dir, 'volume', 'core', 'pack.yaml'), 'name: core\nversion: old\n');
    spawnSync('chown', ['-R', '1000:1000', path.join(dir, 'volume')]);
    fs.chownSync(cache, 0, 0);
    fs.chmodSync(cache, 0o755);
    fs.writeFileSync(path.join(cache, 'run.cpython-310.pyc'), 'root wrote this');
    // A copy stanley can read wherever the checkout lives (a private temporary clone, say).
    const readableScript = path.join(dir, 'seed-system-packs.sh');
    fs.copyFileSync(script, readableScript);
    fs.chmodSync(readableScript, 0o644);
    const result = spawnSync(
      'setpriv',
      [
        '--reuid=1000',
        '--regid=1000',
        '--clear-groups',
        'sh',
        readableScript,
        path.join(dir, 'image'),
        path.join(dir, 'volume'),
        REFRESHED_PACKS.join(','),
        KEPT_PACKS.join(','),
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect([result.status, result.stderr]).toEqual([0, '']);
    expect(read('core', 'pack.yaml')).toContain('version: new');
    expect(result.stdout).toContain('left core/actions/__pycache__/run.cpython-310.pyc: not ours to delete (harmless)');
    // A second run (the next sync) succeeds the same way.
    expect(
      spawnSync('setpriv', [
        '--reuid=1000',
        '--regid=1000',
        '--clear-groups',
        'sh',
        readableScript,
        path.join(dir, 'image'),
        path.join(dir, 'volume'),
        REFRESHED_PACKS.join(','),
        KEPT_PACKS.join(','),
      ]).status,
    ).toBe(0);
  });

  test('an image without the system packs fails, naming what is missing', () => {
    fs.rmSync(path.join(dir, 'image', 'core'), { recursive: true });
    const result = seed();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`the image has no ${path.join(dir, 'image')}/core`);
  });
});
