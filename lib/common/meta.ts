import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * What identifies one deployment of the whole system. One place decides labels, names and
 * the namespace; every construct asks it instead of inventing its own.
 */
export interface ReleaseIdentity {
  /** Kubernetes namespace every namespaced object goes to. */
  readonly namespace: string;
  /** `app.kubernetes.io/instance`: tells two deployments in one cluster apart. */
  readonly instance: string;
  /** The cluster's DNS domain. @default 'cluster.local' */
  readonly clusterDomain?: string;
}

/** The default DNS domain of a Kubernetes cluster. */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** `<service>.<namespace>.svc.<cluster domain>`: a Service's name from any namespace (nginx and st2 apply no search domains). */
export function serviceHost(identity: ReleaseIdentity, service: string): string {
  return `${service}.${identity.namespace}.svc.${identity.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN}`;
}

/** The role a component plays, written to `app.kubernetes.io/component`. */
export type ComponentRole =
  | 'api'
  | 'backend'
  | 'sensors'
  | 'workflow'
  | 'chatops'
  | 'client'
  | 'web'
  | 'edge'
  | 'database'
  | 'message-queue'
  | 'coordination'
  | 'content'
  | 'job'
  | 'namespace'
  | 'policy';

export const PART_OF = 'stackstorm';
export const MANAGED_BY = 'cdk8s';

/** Labels that select a component's pods; they never change across upgrades. */
export function selectorLabels(identity: ReleaseIdentity, name: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': identity.instance,
  };
}

/** The full recommended label set for a component's objects and pod templates. */
export function componentLabels(identity: ReleaseIdentity, name: string, role: ComponentRole, version: string): Record<string, string> {
  return {
    ...selectorLabels(identity, name),
    'app.kubernetes.io/component': role,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/version': labelValue(version),
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/** Label values allow 63 characters of [A-Za-z0-9._-]; image tags may carry more. */
export function labelValue(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

/**
 * Adds labels to every Kubernetes object below `scope` (not to pod templates: workloads
 * set those themselves, so that selectors and templates are decided together).
 */
export function labelAll(scope: IConstruct, labels: Record<string, string>): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof ApiObject) {
      for (const [key, value] of Object.entries(labels)) child.metadata.addLabel(key, value);
    }
  }
}
