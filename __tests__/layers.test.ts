/**
 * The folders of lib/ are layers (README, "Layout"): each may import only the layers below
 * it, so no folder imports another in a circle and every folder can be read alone.
 *
 *   common  <  images, config  <  st2, backing, edge, mistral  <  policy, report  <  lib/*.ts
 *
 * Components never import each other: what one needs of another, StackStormHa hands over
 * as typed endpoints and settings. The check reads every `import ... from '...'` (and
 * `require('...')`) of lib/ as text; a type-only import counts like any other.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const LIB = path.join(__dirname, '..', 'lib');

/** What each folder may import besides itself. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  common: [],
  images: ['common'],
  config: ['common', 'images'],
  st2: ['common', 'images', 'config'],
  backing: ['common', 'images', 'config'],
  edge: ['common', 'images', 'config'],
  mistral: ['common', 'images', 'config'],
  policy: ['common', 'images', 'config'],
  report: ['common', 'images', 'config'],
};

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : []);
}

/** Folder-level import edges `from -> to`, each with the file and specifier that makes it. */
function edges(root = LIB): { from: string; to: string; where: string }[] {
  return files(root).flatMap((file) => {
    const from = path.relative(root, path.dirname(file)).split(path.sep)[0] || '.';
    const text = fs.readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:from\s+|require\()\s*'(\.[^']*)'/g)].map((match) => match[1]);
    return specifiers.flatMap((specifier) => {
      const target = path.relative(root, path.resolve(path.dirname(file), specifier));
      if (target.startsWith('..')) return []; // imports/, outside the layers
      const to = target.includes(path.sep) ? target.split(path.sep)[0] : '.';
      return to === from ? [] : [{ from, to, where: `${path.relative(root, file)}: '${specifier}'` }];
    });
  });
}

test('every folder is one of the layers', () => {
  const folders = fs.readdirSync(LIB, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  expect(folders).toEqual(Object.keys(ALLOWED).sort());
});

test('each folder imports only the layers below it', () => {
  const wrong = edges().filter(({ from, to }) => from !== '.' && !(ALLOWED[from] ?? []).includes(to)).map(({ from, to, where }) => `${from} -> ${to} (${where})`);
  expect(wrong).toEqual([]);
});

test('the rule bites: an import of a component from config is reported', () => {
  // A scratch tree, so the test writes nothing into lib/.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
  try {
    fs.mkdirSync(path.join(root, 'config'));
    fs.mkdirSync(path.join(root, 'st2'));
    fs.writeFileSync(path.join(root, 'st2', 'content.ts'), 'export class St2Content {}\n');
    fs.writeFileSync(path.join(root, 'config', 'probe.ts'), "import { St2Content } from '../st2/content';\nexport type Probe = St2Content;\n");
    expect(edges(root).map(({ from, to, where }) => `${from} -> ${to} (${where})`)).toEqual(["config -> st2 (config/probe.ts: '../st2/content')"]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
