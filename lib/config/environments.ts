import * as fs from 'fs';
import * as path from 'path';
import { StackStormHaSettings } from './settings';
import { loadValuesFile } from './values-file';

/**
 * Every `<name>.yaml` in `dir`, validated, by environment name (sorted). Messages name
 * files relative to the working directory, as users wrote them.
 */
export function loadEnvironments(dir: string): Record<string, StackStormHaSettings> {
  const environments: Record<string, StackStormHaSettings> = {};
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.yaml')).sort()) {
    environments[file.slice(0, -'.yaml'.length)] = loadValuesFile(path.relative(process.cwd(), path.join(dir, file)) || file);
  }
  return environments;
}
