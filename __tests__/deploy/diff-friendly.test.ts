import { ENVIRONMENTS } from '../../environments';
import { manifestYaml } from '../../lib/common/manifest-yaml';
import { K8sObject, synth } from '../support/synth';

/**
 * dist/<env>/ is reviewed as a Git diff: one file per object, written by manifestYaml (the
 * writer `npm run synth` uses), the same bytes on every run, so a change to one setting
 * shows up as a change to exactly the lines it should change.
 */

/** `Kind/name` -> the YAML written for it, as a file per object. */
function files(objects: readonly K8sObject[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const object of objects) {
    const key = `${object.kind}/${object.metadata.name}`;
    // One file per object: two objects with one kind and name would overwrite each other.
    expect(out.has(key)).toBe(false);
    out.set(key, manifestYaml(object));
  }
  return out;
}

const ha = ENVIRONMENTS.ha;
const before = files(synth(ha, 'ha'));

test('two synths of one environment are byte-identical (no random values, stable ordering)', () => {
  const again = files(synth(ha, 'ha'));
  expect([...again.keys()]).toEqual([...before.keys()]);
  for (const [key, text] of before) expect({ key, same: again.get(key) === text }).toEqual({ key, same: true });
});

test('no output carries a timestamp or a generated name', () => {
  for (const [key, text] of before) {
    expect({ key, timestamp: /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text) || /creationTimestamp|generateName/.test(text) }).toEqual({ key, timestamp: false });
  }
});

test('raising st2.api.replicas from 2 to 3 changes one line of one object', () => {
  const after = files(synth({ ...ha, st2: { ...ha.st2, api: { ...ha.st2?.api, replicas: 3 } } }, 'ha'));
  expect([...after.keys()]).toEqual([...before.keys()]);
  const changed = [...before.keys()].filter((key) => after.get(key) !== before.get(key));
  expect(changed).toEqual(['Deployment/st2api']);
  const oldLines = before.get('Deployment/st2api')!.split('\n');
  const newLines = after.get('Deployment/st2api')!.split('\n');
  expect(newLines).toHaveLength(oldLines.length);
  const diff = oldLines.flatMap((line, i) => (line === newLines[i] ? [] : [{ from: line, to: newLines[i] }]));
  expect(diff).toEqual([{ from: '  replicas: 2', to: '  replicas: 3' }]);
});
