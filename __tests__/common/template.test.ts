/** fillTemplate: shipped scripts with typed values, and no placeholder left behind or given in vain. */
import * as fs from 'fs';
import * as path from 'path';
import { fillTemplate } from '../../lib/common/template';

const root = path.join(__dirname, '..', '..');
const TEMPLATE = 'lib/backing/scripts/rabbitmq-render-definitions.sh';
const VALUES = { PASSWORD_ENV: 'PW', PASSWORD_KEY: 'password', PASSWORD_HASH_PLACEHOLDER: '@HASH@' };

test('fills every placeholder, also inside shell parameter expansions', () => {
  const text = fillTemplate(TEMPLATE, VALUES);
  expect(text).not.toMatch(/\{\{/);
  expect(text).toContain('if [ -z "${PW:-}" ]; then');
  expect(text).toContain('printf \'%s\' "$PW"');
  expect(text).toContain('sed "s#@HASH@#$hash#"');
});

test('a placeholder without a value, or a value without a placeholder, fails naming both', () => {
  const { PASSWORD_KEY: _unused, ...missing } = VALUES;
  expect(() => fillTemplate(TEMPLATE, missing)).toThrow(`${TEMPLATE}: no value for {{PASSWORD_KEY}}`);
  expect(() => fillTemplate(TEMPLATE, { ...VALUES, EXTRA: 1 })).toThrow(`${TEMPLATE}: {{EXTRA}} not in the template`);
});

test('every shipped template is filled somewhere: each has a renderer that names it', () => {
  const dir = path.join(root, 'lib', 'backing', 'scripts');
  const sources = ['mongodb-scripts.ts', 'redis-conf.ts', 'rabbitmq-conf.ts']
    .map((file) => fs.readFileSync(path.join(root, 'lib', 'backing', file), 'utf8'))
    .join('\n');
  for (const file of fs.readdirSync(dir)) expect([file, sources.includes(`/${file}\``) || sources.includes(`/${file}'`)]).toEqual([file, true]);
});
