/**
 * The folders of lib/ are layers (README, "Layout"); ESLint's no-restricted-imports enforces
 * the order in `npm test` (eslint.config.js). These tests keep that rule honest: every folder
 * has a row, and the rule fires on an import against the order, type-only imports included.
 */
import { ESLint } from 'eslint';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');
const config = require('../eslint.config.js');
const LAYERS: Record<string, string[]> = config.LAYERS;
// The config passed in as loaded: ESLint's own lookup imports it dynamically, which jest's VM refuses.
const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config });

async function problems(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return result.messages.map((message) => `${message.ruleId}: ${message.message}`);
}

test('every folder of lib/ is a layer with a row in eslint.config.js', () => {
  const folders = fs
    .readdirSync(path.join(root, 'lib'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  expect(folders).toEqual(Object.keys(LAYERS).sort());
});

test.each([
  ['lib/config/probe.ts', "import { St2Content } from '../st2/content';\nexport type Probe = St2Content;\n"],
  ['lib/config/probe.ts', "import type { St2Content } from '../st2/content';\nexport type Probe = St2Content;\n"],
  ['lib/st2/probe.ts', "import { MONGO_PORT } from '../backing/mongodb';\nexport const port = MONGO_PORT;\n"],
  ['lib/common/probe.ts', "import { StackStormHaSettings } from '../config/settings';\nexport type Probe = StackStormHaSettings;\n"],
  ['lib/policy/probe.ts', "import { StackStormHa } from '../stackstorm-ha';\nexport type Probe = StackStormHa;\n"],
])('the rule fires: %s importing %j', async (file, source) => {
  expect(await problems(file, source)).toEqual([expect.stringMatching(/^no-restricted-imports: .* may import only .*README, "Layout"/)]);
});

test.each([
  [
    'lib/st2/probe.ts',
    "import { SettingError } from '../common/errors';\nimport { ComponentSettings } from '../config/component';\nexport type P = [SettingError, ComponentSettings];\n",
  ],
  ['lib/backing/probe.ts', "import * as k8s from '../../imports/k8s';\nexport type P = k8s.Quantity;\n"],
  ['lib/probe.ts', "import { St2Api } from './st2/processes';\nimport { MONGO_PORT } from './backing/mongodb';\nexport const p = [St2Api, MONGO_PORT];\n"],
])('imports the order allows pass: %s', async (file, source) => {
  expect(await problems(file, source)).toEqual([]);
});
