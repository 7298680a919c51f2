/**
 * The package as another cdk8s app gets it: `npm pack` of the compiled build (`npm run build`,
 * as `npm ci` runs it through `prepare`), installed offline from npm's cache into a fresh
 * app beside the app's own cdk8s, cdk8s-plus-27 and constructs (peer dependencies, so there
 * is one copy of each), nested in the app's own Chart and synthesized.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const APP = `
const { App, Chart, Testing } = require('cdk8s');
const kplus = require('cdk8s-plus-27');
const { StackStormHa } = require('stackstorm-ha-cdk8s');
const chart = new Chart(Testing.app(), 'platform', { namespace: 'apps' });
new kplus.ConfigMap(chart, 'Own', { metadata: { name: 'own' }, data: { a: 'b' } });
new StackStormHa(chart, 'StackStorm', { namespace: 'automation' });
const objects = Testing.synth(chart);
console.log(JSON.stringify(objects.map((o) => [o.kind, o.metadata.name, o.metadata.namespace ?? null])));
`;

test("packs, installs offline into a fresh cdk8s app and synthesizes there beside the app's own objects", () => {
  // The package as the current sources build it (`npm ci` builds once; a later change to lib/
  // would otherwise pack stale JavaScript beside the current scripts). build/ is ignored by git.
  execFileSync('npx', ['--no-install', 'tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  expect(fs.existsSync(path.join(root, manifest.main))).toBe(true);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'packed-'));
  try {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root, encoding: 'utf8' }));
    const files: string[] = packed[0].files.map((file: { path: string }) => file.path);
    expect(files).toEqual(
      expect.arrayContaining([
        manifest.main,
        manifest.types,
        'lib/common/scripts/prepare.py',
        'lib/st2/scripts/smoke-test.sh',
        'lib/backing/scripts/redis-bootstrap.sh',
        'schemas/settings.validate.js',
      ]),
    );
    expect(files.some((file) => file.startsWith('dist/') || file.startsWith('__tests__/'))).toBe(false);

    const app = path.join(work, 'app');
    fs.mkdirSync(app);
    const peers = manifest.peerDependencies as Record<string, string>;
    const exact = Object.fromEntries(Object.keys(peers).map((name) => [name, manifest.devDependencies[name]]));
    const tarball = `file:${path.join(work, packed[0].filename)}`;
    const dependencies = { ...exact, 'stackstorm-ha-cdk8s': tarball };
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'fixture-app', version: '1.0.0', private: true, dependencies }));
    // Offline, npm resolves from a lockfile (the tarballs are in its cache since our own
    // \`npm ci\`): the entries of our lockfile for what the app needs, and the packed tarball.
    fs.writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(fixtureLock(dependencies, tarball)));
    const install = spawnSync('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect([install.status, install.stderr]).toEqual([0, '']);
    // One copy of cdk8s: a second one under the package would fail the synth.
    expect(fs.existsSync(path.join(app, 'node_modules', 'stackstorm-ha-cdk8s', 'node_modules', 'cdk8s'))).toBe(false);

    fs.writeFileSync(path.join(app, 'synth.js'), APP);
    const run = spawnSync(process.execPath, ['synth.js'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    expect([run.status, run.stderr]).toEqual([0, '']);
    const objects: [string, string, string | null][] = JSON.parse(run.stdout);
    expect(objects).toContainEqual(['ConfigMap', 'own', 'apps']);
    expect(objects).toContainEqual(['Deployment', 'st2api', 'automation']);
    expect(objects).toContainEqual(['ConfigMap', 'st2-smoke-test', 'automation']);
    expect(objects.length).toBeGreaterThan(60);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

/** A lockfile for the fixture app: our own lockfile's entries for the packages it installs. */
function fixtureLock(dependencies: Record<string, string>, tarball: string): object {
  const ours = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages as Record<string, any>;
  const packages: Record<string, any> = { '': { name: 'fixture-app', version: '1.0.0', dependencies } };
  packages['node_modules/stackstorm-ha-cdk8s'] = {
    version: manifest.version,
    resolved: tarball,
    license: manifest.license,
    dependencies: manifest.dependencies,
    peerDependencies: manifest.peerDependencies,
  };
  const pending = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)];
  while (pending.length > 0) {
    const name = pending.pop()!;
    const key = `node_modules/${name}`;
    if (packages[key] || !ours[key]) continue;
    const { dev, devOptional, peer, ...entry } = ours[key];
    void dev;
    void devOptional;
    void peer;
    // Optional dependencies our install left out (no lock entry) stay out here too.
    const optional = Object.fromEntries(Object.entries(entry.optionalDependencies ?? {}).filter(([dep]) => ours[`node_modules/${dep}`]));
    packages[key] = { ...entry, ...(entry.optionalDependencies ? { optionalDependencies: optional } : {}) };
    // Nested copies (another version) come along with their parent.
    for (const [nested, value] of Object.entries(ours)) if (nested.startsWith(`${key}/node_modules/`)) packages[nested] = value;
    const bundled = new Set<string>(entry.bundleDependencies ?? []);
    pending.push(...[...Object.keys(entry.dependencies ?? {}), ...Object.keys(optional)].filter((dep) => !bundled.has(dep)));
  }
  return { name: 'fixture-app', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}
