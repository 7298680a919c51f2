import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import { ENVIRONMENTS } from '../environments';
import { StackStormHaSettings } from '../lib';
import { fastManifestYaml, manifestYaml } from '../lib/common/manifest-yaml';
import { buildEnvironment, writeEnvironment } from '../lib/synth';
import { largeSettings } from '../scripts/bench-target';

/** The writer must produce exactly what cdk8s's own `Yaml.stringify` produces. */
function expectSameAsCdk8s(manifest: unknown): void {
  expect(manifestYaml(manifest)).toBe(Yaml.stringify(manifest));
}

describe('manifestYaml', () => {
  const environments = { ...ENVIRONMENTS, large: largeSettings(4) };

  test.each(Object.keys(environments))('every object of %s: same bytes as cdk8s, and none falls back', (name) => {
    const app = buildEnvironment(name, environments[name as keyof typeof environments]);
    const manifests = app.charts.flatMap((chart) => chart.toJson());
    expect(manifests.length).toBeGreaterThan(10);
    for (const manifest of manifests) {
      // The fast path covers every object we build, or the synth would lose its speed.
      expect(fastManifestYaml(manifest)).toBe(Yaml.stringify(manifest));
    }
  });

  test('strings YAML could misread are quoted as the library quotes them', () => {
    const values = [
      '--x',
      '-',
      '- x',
      '? y',
      'a: b',
      'a #b',
      'a#b',
      'x:',
      'x :y',
      "it's",
      'say "hi"',
      `both ' "`,
      '',
      '~',
      'null',
      'Yes',
      'off',
      'y',
      '0x1F',
      '012',
      '0o17',
      '1_000',
      '1e3',
      '.inf',
      '1:20',
      '2024-01-01',
      '@x',
      '`x',
      'é—ü',
      'a\\b',
      '8080',
    ];
    const manifest = { list: values, map: Object.fromEntries(values.map((v, i) => [v, i])) };
    expect(fastManifestYaml(manifest)).toBe(Yaml.stringify(manifest));
  });

  test("multi-line strings become literal blocks with the library's chomping", () => {
    const blocks = ['x\n', 'x', 'x\n\n', 'x\n\n\n', 'x  \n', 'x \n\n', 'x\n \n', 'x\n  y\n', 'a\n  \nb', '---\nk: v\n', '# c\n[s]\nk = v\n'];
    for (const block of blocks) {
      const manifest = { data: { file: block }, list: [block, { nested: block }], deep: [[block]] };
      expect(fastManifestYaml(manifest)).toBe(Yaml.stringify(manifest));
    }
  });

  test('nesting: empty collections, sequences of sequences, numbers and booleans', () => {
    expectSameAsCdk8s({ a: { b: [{ c: 1, d: [1, 2], e: {} }, [['x', 'y'], []]], t: true, f: false, n: -7, z: 0 } });
  });

  test('anything outside the subset goes through the library unchanged', () => {
    const shared = { k: 'v' };
    const outside = [
      { a: 'tab\there' },
      { a: 1.5 },
      { a: '<<' },
      { '<<': 1 },
      { a: '%p' },
      { a: ' lead\nx' },
      { a: 'x\n  ' },
      { a: shared, b: shared },
      { a: 'bell\u0007' },
      { a: -0 },
      { ['k'.repeat(2000)]: 1 },
    ];
    for (const manifest of outside) {
      expect(fastManifestYaml(manifest)).toBeUndefined();
      expectSameAsCdk8s(manifest);
    }
  });
});

describe('writeEnvironment', () => {
  const shapes: Record<string, StackStormHaSettings> = { ...ENVIRONMENTS, named: largeSettings(3, true) };
  test.each(Object.keys(shapes))('%s: writes the files app.synth() writes, byte for byte', (name) => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'write-'));
    try {
      buildEnvironment(name, shapes[name], path.join(work, 'cdk8s')).synth();
      writeEnvironment(buildEnvironment(name, shapes[name], path.join(work, 'ours')));
      const files = fs.readdirSync(path.join(work, 'cdk8s')).sort();
      expect(fs.readdirSync(path.join(work, 'ours')).sort()).toEqual(files);
      for (const file of files) {
        expect(fs.readFileSync(path.join(work, 'ours', file), 'utf8')).toBe(fs.readFileSync(path.join(work, 'cdk8s', file), 'utf8'));
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  test('runs every construct validation, as cdk8s synth does, and writes nothing when one fails', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'write-'));
    try {
      const app = buildEnvironment('ha', ENVIRONMENTS.ha, path.join(work, 'out'));
      const broken = app.node.findAll().find((c) => c.node.path.endsWith('St2Api'))!;
      broken.node.addValidation({ validate: () => ['no good'] });
      expect(() => writeEnvironment(app)).toThrow(/Validation failed with the following errors:\n {2}\[ha\/StackStormHa\/St2Api\] no good/);
      expect(fs.existsSync(path.join(work, 'out'))).toBe(false);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
