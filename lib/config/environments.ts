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
  for (const file of fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()) {
    const name = file.slice(0, -'.yaml'.length);
    environments[name] = loadEnvironment(dir, name);
  }
  return environments;
}

/**
 * One environment, `dir/<name>.yaml`, validated as {@link loadEnvironments} does. For a
 * caller that needs one environment (the benchmark): parsing and validating the others
 * costs it tens of milliseconds for nothing.
 */
export function loadEnvironment(dir: string, name: string): StackStormHaSettings {
  const file = `${name}.yaml`;
  return loadValuesFile(path.relative(process.cwd(), path.join(dir, file)) || file);
}
