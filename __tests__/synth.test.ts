import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthEnvironments } from '../lib/synth';

function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[path.relative(dir, full)] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return files;
}

describe('synthEnvironments', () => {
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-'));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  test('two synths are byte-identical', () => {
    const a = path.join(work, 'a');
    const b = path.join(work, 'b');
    synthEnvironments(a, { ha: {} });
    synthEnvironments(b, { ha: {} });
    expect(Object.keys(tree(a)).length).toBeGreaterThan(3);
    expect(tree(a)).toEqual(tree(b));
  });

  test('removes stale files and environments', () => {
    const out = path.join(work, 'dist');
    fs.mkdirSync(path.join(out, 'gone'), { recursive: true });
    fs.writeFileSync(path.join(out, 'gone', 'Stale.k8s.yaml'), 'stale');
    synthEnvironments(out, { ha: {} });
    expect(fs.readdirSync(out)).toEqual(['ha']);
  });

  test('an invalid setting leaves the existing output untouched', () => {
    const out = path.join(work, 'dist');
    synthEnvironments(out, { ha: {} });
    const before = tree(out);
    expect(() => synthEnvironments(out, { ha: {}, bad: { st2: { api: { replicas: 0 } } } })).toThrow(
      'environment bad: st2.api.replicas: got 0. Fix: set it to an integer >= 1',
    );
    expect(tree(out)).toEqual(before);
    expect(fs.readdirSync(work)).toEqual(['dist']);
  });
});
