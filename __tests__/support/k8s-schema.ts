import * as fs from 'fs';
import * as path from 'path';

/**
 * A strict validator of Kubernetes objects against the OpenAPI definitions of one
 * Kubernetes version, like `kubeconform -strict`: unknown fields, wrong types, missing
 * required fields and apiVersion/kind pairs the version does not serve are all errors.
 *
 * It walks the definitions directly (they use only type, properties, required, items,
 * additionalProperties, enum, oneOf, format and $ref), so nothing is compiled up front and a
 * schema loads once per test process.
 */
export type KubernetesVersion = '1.27.0' | '1.36.0';
export const KUBERNETES_VERSIONS: readonly KubernetesVersion[] = ['1.27.0', '1.36.0'];

interface SchemaNode {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  oneOf?: SchemaNode[];
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
}

const SCHEMA_DIR = path.join(__dirname, '..', '..', 'schemas', 'k8s');
const cache = new Map<KubernetesVersion, K8sSchema>();

export class K8sSchema {
  /** The schema of one version, loaded once per process. */
  public static load(version: KubernetesVersion): K8sSchema {
    let schema = cache.get(version);
    if (!schema) {
      const file = path.join(SCHEMA_DIR, `v${version}-definitions.json`);
      schema = new K8sSchema(version, JSON.parse(fs.readFileSync(file, 'utf8')).definitions);
      cache.set(version, schema);
    }
    return schema;
  }

  private readonly byKind = new Map<string, string>();

  private constructor(
    public readonly version: KubernetesVersion,
    private readonly definitions: Record<string, SchemaNode>,
  ) {
    for (const [name, definition] of Object.entries(definitions)) {
      for (const gvk of definition['x-kubernetes-group-version-kind'] ?? []) {
        const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
        // Prefer the definition in the kind's own API group package (io.k8s.api.*) over
        // aliases such as DeleteOptions, which list every group.
        if (!this.byKind.has(`${apiVersion}|${gvk.kind}`) || name.endsWith(`.${gvk.kind}`)) {
          this.byKind.set(`${apiVersion}|${gvk.kind}`, name);
        }
      }
    }
  }

  /** Whether this version serves `apiVersion` + `kind`. */
  public serves(apiVersion: string, kind: string): boolean {
    return this.byKind.has(`${apiVersion}|${kind}`);
  }

  /** Every problem with `object`, each as `<Kind>/<name> <path>: <problem>`; empty when valid. */
  public validate(object: unknown): string[] {
    if (!isObject(object)) return ['(document): not an object'];
    const label = `${String(object.kind)}/${String((object.metadata as Record<string, unknown> | undefined)?.name ?? '?')}`;
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
      return [`${label}: apiVersion and kind are required strings`];
    }
    const definition = this.byKind.get(`${object.apiVersion}|${object.kind}`);
    if (!definition) return [`${label}: Kubernetes ${this.version} does not serve ${object.apiVersion} ${object.kind}`];
    const errors: string[] = [];
    this.walk({ $ref: `#/definitions/${definition}` }, object, '', errors);
    return errors.map((error) => `${label} ${error}`);
  }

  private resolve(node: SchemaNode): SchemaNode {
    let current = node;
    while (current.$ref) current = this.definitions[current.$ref.replace('#/definitions/', '')];
    return current;
  }

  private walk(node: SchemaNode, value: unknown, at: string, errors: string[]): void {
    const schema = this.resolve(node);
    const where = at || '.';
    if (value === null || value === undefined) {
      errors.push(`${where}: null where ${schema.type ?? 'a value'} is expected`);
      return;
    }
    if (schema.oneOf) {
      const fits = schema.oneOf.some((option) => {
        const attempt: string[] = [];
        this.walk(option, value, at, attempt);
        return attempt.length === 0;
      });
      if (!fits) errors.push(`${where}: ${JSON.stringify(value)} matches none of ${schema.oneOf.map((o) => this.resolve(o).type).join(' | ')}`);
      return;
    }
    if (schema.enum && !schema.enum.includes(value)) {
      errors.push(`${where}: ${JSON.stringify(value)} is not one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
    }
    switch (schema.type) {
      case 'string':
        if (typeof value !== 'string') errors.push(`${where}: expected string, got ${describe(value)}`);
        return;
      case 'integer':
        if (typeof value !== 'number' || !Number.isInteger(value)) errors.push(`${where}: expected integer, got ${describe(value)}`);
        else if (schema.format === 'int32' && Math.abs(value) > 2147483647) errors.push(`${where}: ${value} overflows int32`);
        return;
      case 'number':
        if (typeof value !== 'number') errors.push(`${where}: expected number, got ${describe(value)}`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') errors.push(`${where}: expected boolean, got ${describe(value)}`);
        return;
      case 'array':
        if (!Array.isArray(value)) {
          errors.push(`${where}: expected array, got ${describe(value)}`);
          return;
        }
        if (schema.items) value.forEach((item, index) => this.walk(schema.items!, item, `${at}[${index}]`, errors));
        return;
      case 'object':
      case undefined:
        break;
      default:
        return;
    }
    if (!schema.properties && schema.additionalProperties === undefined) {
      // Free-form (RawExtension, FieldsV1, ...): anything goes, as in the API server.
      if (schema.type === 'object' && !isObject(value)) errors.push(`${where}: expected object, got ${describe(value)}`);
      return;
    }
    if (!isObject(value)) {
      errors.push(`${where}: expected object, got ${describe(value)}`);
      return;
    }
    for (const key of schema.required ?? []) {
      if (!(key in value)) errors.push(`${at}.${key}: required field missing`);
    }
    for (const [key, child] of Object.entries(value)) {
      const property = schema.properties?.[key];
      if (property) this.walk(property, child, `${at}.${key}`, errors);
      else if (isObject(schema.additionalProperties)) this.walk(schema.additionalProperties, child, `${at}.${key}`, errors);
      else if (schema.additionalProperties !== true) errors.push(`${at}.${key}: unknown field`);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}

/** Validates objects against every supported version; returns all problems. */
export function validateAll(objects: readonly unknown[]): string[] {
  return KUBERNETES_VERSIONS.flatMap((version) => {
    const schema = K8sSchema.load(version);
    return objects.flatMap((object) => schema.validate(object).map((error) => `[${version}] ${error}`));
  });
}
