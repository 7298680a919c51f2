import * as fs from 'fs';
import * as path from 'path';
import { App, YamlOutputType } from 'cdk8s';
import { StackStormHa } from './stackstorm-ha';
import { StackStormHaSettings } from './config/settings';

/** Builds one environment's app in memory (no files written). */
export function buildEnvironment(name: string, settings: StackStormHaSettings, outdir = path.join('dist', name)): App {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_RESOURCE });
  new StackStormHa(app, name, settings);
  return app;
}

/**
 * Synthesizes every environment into `outdir/<name>/`. Everything is built and written to
 * a staging folder first and swapped in at the end, so an invalid setting leaves the
 * existing output untouched and no stale file survives a successful run.
 */
export function synthEnvironments(outdir: string, environments: Record<string, StackStormHaSettings>): void {
  const staging = `${outdir}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    for (const name of Object.keys(environments).sort()) {
      buildEnvironment(name, environments[name], path.join(staging, name)).synth();
    }
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  const previous = `${outdir}.previous-${process.pid}`;
  fs.rmSync(previous, { recursive: true, force: true });
  if (fs.existsSync(outdir)) fs.renameSync(outdir, previous);
  fs.renameSync(staging, outdir);
  fs.rmSync(previous, { recursive: true, force: true });
}
