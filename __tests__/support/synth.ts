import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { StackStormHaSettings } from '../../lib';
import { buildEnvironment } from '../../lib/synth';

/** A Kubernetes object as synthesized (plain JSON). */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  [key: string]: any;
};

/** Synthesizes settings in memory (no files) and returns every object. */
export function synth(settings: StackStormHaSettings = {}, name = 'test'): K8sObject[] {
  const app = buildEnvironment(name, settings, path.join('/nonexistent', name));
  return app.charts.flatMap((chart) => chart.toJson()) as K8sObject[];
}

/** Reads every object of a committed environment in dist/. */
export function readDist(environment: string): K8sObject[] {
  const dir = path.join(__dirname, '..', '..', 'dist', environment);
  return fs.readdirSync(dir).sort().flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((doc) => doc.toJS() as K8sObject));
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

/** Objects that carry a pod template, with the template. */
export function podTemplates(objects: readonly K8sObject[]): { object: K8sObject; template: any }[] {
  return objects.flatMap((object) => {
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(object.kind)) return [{ object, template: object.spec.template }];
    if (object.kind === 'CronJob') return [{ object, template: object.spec.jobTemplate.spec.template }];
    return [];
  });
}

/** The container named `name` (or the first) of a workload. */
export function container(object: K8sObject, name?: string): any {
  const spec = object.spec.template.spec;
  return name ? spec.containers.find((c: any) => c.name === name) : spec.containers[0];
}
