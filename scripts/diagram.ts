/**
 * Architecture pictures of synthesized environments.
 *
 *   npm run diagram -- [--check] [--dist=DIR]
 *
 * Reads DIR/<env>/*.yaml (DIR defaults to dist/) for every environment in
 * DIAGRAM_ENVIRONMENTS and writes docs/architecture.md; with --check it writes nothing and
 * exits 1 when the committed file differs (run `npm run synth` first either way).
 */
import * as fs from 'fs';
import * as path from 'path';
import { architectureMarkdown, DIAGRAM_ENVIRONMENTS } from '../lib/report/architecture';
import { readManifests } from '../lib/report/read-manifests';
import { packageRoot } from '../lib/common/shipped-files';

const USAGE = 'usage: npm run diagram -- [--check] [--dist=DIR]';
const OUTPUT = path.join(packageRoot(), 'docs', 'architecture.md');

function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  const distOption = argv.find((arg) => arg.startsWith('--dist='));
  const dist = distOption ? path.resolve(distOption.slice('--dist='.length)) : path.join(packageRoot(), 'dist');
  const unknown = argv.filter((arg) => arg !== '--check' && arg !== distOption);
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown[0]}; ${USAGE}`);
    return 2;
  }
  const missing = DIAGRAM_ENVIRONMENTS.filter((env) => !fs.existsSync(path.join(dist, env)));
  if (missing.length > 0) {
    console.error(`no synthesized environment ${missing.join(', ')} in ${dist}; run npm run synth first`);
    return 2;
  }
  const markdown = architectureMarkdown(DIAGRAM_ENVIRONMENTS.map((name) => ({ name, objects: readManifests(path.join(dist, name)) })));
  if (check) {
    const current = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, 'utf8') : '';
    if (current === markdown) return 0;
    console.error(`${path.relative(process.cwd(), OUTPUT)} is out of date; run npm run diagram`);
    return 1;
  }
  fs.mkdirSync(path.dirname(OUTPUT), { recursive: true });
  fs.writeFileSync(OUTPUT, markdown);
  console.log(`wrote ${path.relative(process.cwd(), OUTPUT)}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
