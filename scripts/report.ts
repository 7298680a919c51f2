/**
 * Failure-domain report of synthesized environments.
 *
 *   npm run report -- [--no-fail] [--dist=DIR] [env ...]
 *
 * Reads DIR/<env>/*.yaml (DIR defaults to dist/; every environment folder in it when none is
 * named) and prints,
 * per workload, what survives a node loss, a zone loss and a rolling drain. Exits 1 when a
 * workload that is not a by-design singleton does not survive a node loss, unless --no-fail.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { failureDomainReport, ManifestObject } from '../lib/report/failure-domains';
import { COMPONENT_PROFILES } from '../lib/stackstorm-ha';
import { renderReport } from '../lib/report/report-table';
import { packageRoot } from '../lib/common/shipped-files';

const USAGE = 'usage: npm run report -- [--no-fail] [--dist=DIR] [env ...]';

function readEnvironment(dist: string, environment: string): ManifestObject[] {
  const dir = path.join(dist, environment);
  return fs
    .readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))
        .map((doc) => doc.toJS() as ManifestObject)
        .filter((object) => object && typeof object.kind === 'string'),
    );
}

function main(argv: readonly string[]): number {
  const noFail = argv.includes('--no-fail');
  const distOption = argv.find((arg) => arg.startsWith('--dist='));
  const dist = distOption ? path.resolve(distOption.slice('--dist='.length)) : path.join(packageRoot(), 'dist');
  const unknown = argv.filter((arg) => arg.startsWith('-') && arg !== '--no-fail' && arg !== distOption);
  if (unknown.length > 0) {
    console.error(`unknown option ${unknown[0]}; ${USAGE}`);
    return 2;
  }
  const available = fs.existsSync(dist)
    ? fs
        .readdirSync(dist, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()
    : [];
  const named = argv.filter((arg) => !arg.startsWith('-'));
  const environments = named.length > 0 ? named : available;
  const missing = environments.filter((env) => !available.includes(env));
  if (environments.length === 0 || missing.length > 0) {
    console.error(`no synthesized environment ${missing.join(', ')} in ${dist} (found: ${available.join(', ') || 'none'}); run npm run synth first`);
    return 2;
  }
  let failed = false;
  for (const environment of environments) {
    const report = failureDomainReport(readEnvironment(dist, environment), COMPONENT_PROFILES);
    console.log(renderReport(environment, report));
    console.log('');
    failed ||= report.failures.length > 0;
  }
  return failed && !noFail ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
