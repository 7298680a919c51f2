/**
 * `npm run synth`, `cdk8s synth` and the benchmark's measured synth start Node the same way:
 * the node flags are part of the synth's speed (see README, "Performance").
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

const root = path.join(__dirname, '..', '..');
const synthScript: string = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.synth;

test('cdk8s.yaml runs exactly the command of `npm run synth`', () => {
  const config = parse(fs.readFileSync(path.join(root, 'cdk8s.yaml'), 'utf8'));
  expect(config.app).toBe(synthScript);
});

test('the synth keeps V8\'s young generation small (README, "Performance")', () => {
  expect(synthScript.split(/\s+/)).toEqual(['node', '--max-semi-space-size=1', '-r', './tools/register.js', 'main.ts']);
});
