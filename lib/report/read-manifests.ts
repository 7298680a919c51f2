import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { ManifestObject } from './failure-domains';

/** Every object in the YAML files of one folder (e.g. dist/ha), files in name order. */
export function readManifests(dir: string): ManifestObject[] {
  return fs
    .readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((doc) => doc.toJS()))
    .filter((object): object is ManifestObject => Boolean(object) && typeof object.kind === 'string');
}
