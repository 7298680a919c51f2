import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, YamlOutputType } from 'cdk8s';
import { StackStormHaChart } from './stackstorm-ha-chart';
import { manifestYaml } from './common/manifest-yaml';
import { StackStormHaSettings } from './config/settings';
import { SettingError } from './common/errors';

/** An invalid setting, with the environment it was found in. */
export class EnvironmentError extends Error {
  constructor(
    public readonly environment: string,
    public readonly cause: SettingError,
  ) {
    super(`environment ${environment}: ${cause.message}`);
    this.name = 'EnvironmentError';
  }
}

/** Builds one environment's app in memory (no files written). */
export function buildEnvironment(name: string, settings: StackStormHaSettings, outdir = path.join('dist', name)): App {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_RESOURCE });
  new StackStormHaChart(app, name, settings);
  return app;
}

/**
 * Writes one file per object into the app's outdir, the files `app.synth()` writes for
 * FILE_PER_RESOURCE, through {@link manifestYaml} (same bytes, a fraction of the time).
 * Every construct's validation runs first, as in cdk8s's synth. What is left out is the
 * order: cdk8s sorts objects by a dependency graph of every construct, which only matters
 * when objects share a file, and here none do.
 */
export function writeEnvironment(app: App): void {
  if (process.env.CDK8S_RECORD_CONSTRUCT_METADATA === 'true') {
    // cdk8s then also writes construct metadata, which only its own synth knows how to.
    app.synth();
    return;
  }
  const constructs = app.node.findAll();
  const errors = constructs.flatMap((construct) => construct.node.validate().map((error) => `[${construct.node.path}] ${error}`));
  if (errors.length > 0) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
  fs.mkdirSync(app.outdir, { recursive: true });
  for (const object of constructs) {
    if (!(object instanceof ApiObject)) continue;
    const manifest = object.toJson();
    const file = `${manifest.kind}.${manifest.metadata.name}`.replace(/[^0-9a-zA-Z-_.]/g, '');
    fs.writeFileSync(path.join(app.outdir, file + app.outputFileExtension), manifestYaml(manifest));
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
