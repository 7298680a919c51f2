import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { StackStormHa } from './stackstorm-ha';
import { manifestYaml } from './common/manifest-yaml';
import { StackStormHaSettings } from './config/settings';
import { SettingError } from './common/errors';

/** An invalid setting, with the environment it was found in. */
export class EnvironmentError extends Error {
  constructor(public readonly environment: string, public readonly cause: SettingError) {
    super(`environment ${environment}: ${cause.message}`);
    this.name = 'EnvironmentError';
  }
}

/** Builds one environment's app in memory (no files written). */
export function buildEnvironment(name: string, settings: StackStormHaSettings, outdir = path.join('dist', name)): App {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_RESOURCE });
  new StackStormHa(app, name, settings);
  return app;
}

/**
 * Writes one file per object into the app's outdir, the files `app.synth()` writes for
 * FILE_PER_RESOURCE, through {@link manifestYaml} (same bytes, a fraction of the time).
 * `chart.toJson()` still runs cdk8s's validation and dependency ordering.
 */
export function writeEnvironment(app: App): void {
  if (process.env.CDK8S_RECORD_CONSTRUCT_METADATA === 'true') {
    // cdk8s then also writes construct metadata, which only its own synth knows how to.
    app.synth();
    return;
  }
  fs.mkdirSync(app.outdir, { recursive: true });
  // `app.charts` orders charts by a dependency graph of every construct in the app; with
  // one chart (StackStormHa) there is nothing to order.
  const charts = app.node.findAll().filter((child): child is Chart => child instanceof Chart);
  for (const chart of charts.length === 1 ? charts : app.charts) {
    for (const manifest of chart.toJson()) {
      if (manifest === undefined) continue;
      const file = `${manifest.kind}.${manifest.metadata.name}`.replace(/[^0-9a-zA-Z-_.]/g, '');
      fs.writeFileSync(path.join(app.outdir, file + app.outputFileExtension), manifestYaml(manifest));
    }
  }
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
      try {
        writeEnvironment(buildEnvironment(name, environments[name], path.join(staging, name)));
      } catch (error) {
        throw error instanceof SettingError ? new EnvironmentError(name, error) : error;
      }
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
