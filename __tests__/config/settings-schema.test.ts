import * as fs from 'fs';
import * as path from 'path';

// Staleness (types changed without `npm run schema`) is checked by `npm test` itself:
// `npm run schema -- --check` runs beside jest (scripts/test.sh).
const SCHEMA_FILE = path.join(__dirname, '..', '..', 'schemas', 'settings.schema.json');

test('the schema is strict: every object forbids unknown keys', () => {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
  const open: string[] = [];
  const walk = (node: any, at: string) => {
    if (!node || typeof node !== 'object') return;
    if (node.type === 'object' && node.properties && node.additionalProperties !== false) open.push(at);
    for (const [key, value] of Object.entries(node)) walk(value, `${at}/${key}`);
  };
  walk(schema, '#');
  expect(open).toEqual([]);
});
