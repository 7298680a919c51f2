import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { componentLabels } from '../common/meta';
import { RESOURCE_PRESETS } from '../common/resources';
import { MISTRAL_PATHS } from './mistral-conf';
import { addMistralContainers, MistralConfig } from './mistral-config';
import { ComponentProfile, declareProfile } from '../common/component-profile';
import { oneShotJob } from '../common/job';

/** Props of {@link MistralSchemaJob}. */
export interface MistralSchemaJobProps {
  readonly config: MistralConfig;
}

/** The two commands, in order: migrate the schema, then load Mistral's standard actions. */
export function mistralSchemaCommands(configFile: string = MISTRAL_PATHS.config): string[][] {
  const manage = `${MISTRAL_PATHS.bin}/mistral-db-manage`;
  return [
    [manage, '--config-file', configFile, 'upgrade', 'head'],
    [manage, '--config-file', configFile, 'populate'],
  ];
}

/** Needs PostgreSQL and its init Job done; the processes need the schema. */
export const MISTRAL_SCHEMA_PROFILE: ComponentProfile = { name: 'mistral-db-manage', syncStage: 'schema' };

/**
 * The Job `mistral-db-manage`: creates or upgrades Mistral's schema (`upgrade head`) and
 * registers the standard actions and workflows (`populate`). Its `prepare` step waits
 * (bounded) for PostgreSQL; if the role does not exist yet (the `postgresql-init` Job runs
 * beside it), the Job fails and retries with back-off. Both commands are idempotent: on a
 * current schema `upgrade head` does nothing and `populate` refreshes the same rows, so
 * every sync may run it again.
 */
export class MistralSchemaJob extends Construct {
  public readonly job: kplus.Job;

  constructor(scope: Construct, id: string, props: MistralSchemaJobProps) {
    super(scope, id);
    declareProfile(this, MISTRAL_SCHEMA_PROFILE);
    const { identity, runAs, version, architectures, placement } = props.config.props;
    const name = 'mistral-db-manage';
    // Runs on every sync, replacing the previous run; the wave (after the datastores and
    // postgresql-init) comes from MISTRAL_SCHEMA_PROFILE.
    this.job = oneShotJob(this, 'Job', {
      name,
      labels: componentLabels(identity, name, 'job', version),
      runAs,
      backoffLimit: 8,
      activeDeadline: Duration.minutes(30),
      hook: 'Sync',
      architectures,
      placement,
      labelScope: this,
    });
    const script = mistralSchemaCommands()
      .map((command) => command.join(' '))
      .join(' && ');
    addMistralContainers(this.job, this.job, {
      config: props.config,
      setting: 'mistral.schemaJob',
      containerName: 'mistral-db-manage',
      command: ['/bin/sh', '-c', script],
      resources: RESOURCE_PRESETS.small,
      waitFor: ['postgresql'],
    });
  }
}
