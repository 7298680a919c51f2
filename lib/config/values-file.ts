import * as fs from 'fs';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import { isMap, isScalar, LineCounter, parseDocument, Document, visit } from 'yaml';
import * as path from 'path';
import { packageRoot } from '../common/shipped-files';
import { StackStormHaSettings } from './settings';

/**
 * Environment values files (environments/<name>.yaml): YAML mapped onto
 * StackStormHaSettings and validated against schemas/settings.schema.json, which is
 * generated from those same TypeScript types (scripts/settings-schema.ts). Every problem is
 * reported with the file, line:column, key path, the bad value and what is allowed, before
 * any object is built.
 */
export class ValuesFileError extends Error {
  constructor(
    public readonly file: string,
    public readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ValuesFileError';
  }
}

/** How the schema is compiled (ahead of time, by scripts/settings-schema.ts). */
export const AJV_OPTIONS: Options = { allErrors: true, strict: true, discriminator: true, allowUnionTypes: true };

let validator: ValidateFunction | undefined;
let schemaRoot: Record<string, any> | undefined;

/** The generated schema and its precompiled validator (package.json `files` ships both), loaded on first use. */
function compiled(): ValidateFunction {
  if (!validator) {
    schemaRoot = require(path.join(packageRoot(), 'schemas', 'settings.schema.json')) as Record<string, any>;
    validator = require(path.join(packageRoot(), 'schemas', 'settings.validate.js')) as ValidateFunction;
  }
  return validator;
}

/** Parses and validates one values file's text. `file` only names it in messages. */
export function parseValuesFile(file: string, text: string): StackStormHaSettings {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ValuesFileError(
      file,
      document.errors.map((error) => {
        const at = lineCounter.linePos(error.pos[0]);
        return `line ${at.line}, column ${at.col}: malformed YAML: ${error.message.split('\n')[0]}`;
      }),
    );
  }
  const settings = toPlainData(file, document, lineCounter) ?? {};
  const validate = compiled();
  if (!validate(settings)) {
    throw new ValuesFileError(file, describeErrors(validate.errors ?? [], document, lineCounter, settings));
  }
  return settings as StackStormHaSettings;
}

/**
 * The document as plain data. The yaml library refuses documents whose aliases expand far
 * beyond their text (an "alias bomb": nested anchors that would make millions of nodes) and
 * throws for other shapes it cannot convert; each comes out as a located ValuesFileError.
 * A values file has no use for anchors and aliases beyond sharing a block or two.
 */
function toPlainData(file: string, document: Document, lineCounter: LineCounter): unknown {
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    let offset: number | undefined;
    visit(document, {
      Alias(_, node) {
        offset = node.range?.[0];
        return visit.BREAK;
      },
    });
    const at = offset === undefined ? '' : `line ${lineCounter.linePos(offset).line}, column ${lineCounter.linePos(offset).col}: `;
    const reason = /alias/i.test((error as Error).message)
      ? 'its aliases expand to more nodes than a values file can need (nested anchors), which the YAML reader refuses'
      : (error as Error).message;
    throw new ValuesFileError(file, [`${at}unreadable YAML: ${reason}; write the values out instead of aliasing them`]);
  }
}

/** Reads, parses and validates a values file. */
export function loadValuesFile(file: string): StackStormHaSettings {
  return parseValuesFile(file, fs.readFileSync(file, 'utf8'));
}

/** `/st2/api/replicas` → ['st2', 'api', 'replicas'] (array indexes as numbers). */
function pointer(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function dotted(keys: readonly (string | number)[]): string {
  return keys.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${key}` : key), '') || '(top level)';
}

function valueAt(data: unknown, keys: readonly (string | number)[]): unknown {
  return keys.reduce<any>((value, key) => (value == null ? undefined : value[key]), data);
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function position(document: Document, lineCounter: LineCounter, keys: readonly (string | number)[], key?: string): string {
  const node = document.getIn(keys, true) as any;
  let offset: number | undefined = node?.range?.[0];
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
    offset = (pair?.key as any)?.range?.[0] ?? offset;
  }
  if (offset === undefined) return '';
  const { line, col } = lineCounter.linePos(offset);
  return `line ${line}, column ${col}: `;
}

/** The object schema that describes the value at `keys` (following $refs, properties, items). */
function schemaFor(keys: readonly (string | number)[], data: unknown): Record<string, any> | undefined {
  const definitions = schemaRoot?.definitions ?? {};
  const resolve = (node: any, value: unknown): any => {
    while (node?.$ref) node = definitions[node.$ref.replace('#/definitions/', '')];
    if (node?.oneOf && node.discriminator && value && typeof value === 'object') {
      const tag = (value as Record<string, unknown>)[node.discriminator.propertyName];
      const branch = node.oneOf.map((b: any) => resolve(b, value)).find((b: any) => b?.properties?.[node.discriminator.propertyName]?.const === tag);
      if (branch) return branch;
    }
    return node;
  };
  let node = resolve(schemaRoot, data);
  for (let i = 0; i < keys.length; i++) {
    const value = valueAt(data, keys.slice(0, i + 1));
    node = typeof keys[i] === 'number' ? resolve(node?.items, value) : resolve(node?.properties?.[keys[i]] ?? node?.additionalProperties, value);
  }
  return node;
}

function describeErrors(errors: readonly ErrorObject[], document: Document, lineCounter: LineCounter, data: unknown): string[] {
  // A failed discriminated union also reports a generic "oneOf" failure: the branch's own
  // errors say more, so the summary is dropped when they exist.
  const specific = errors.filter((e) => !['oneOf', 'anyOf', 'if'].includes(e.keyword));
  const chosen = specific.length > 0 ? specific : errors;
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const error of chosen) {
    const keys = pointer(error.instancePath);
    const value = valueAt(data, keys);
    let message: string;
    let at = position(document, lineCounter, keys);
    switch (error.keyword) {
      case 'additionalProperties': {
        const extra = String(error.params.additionalProperty);
        const allowed = Object.keys(schemaFor(keys, data)?.properties ?? {}).sort();
        at = position(document, lineCounter, keys, extra);
        message = `${dotted([...keys, extra])}: unknown key ${show(extra)}; allowed keys here: ${allowed.join(', ')}`;
        break;
      }
      case 'required':
        message = `${dotted([...keys, String(error.params.missingProperty)])}: required key missing`;
        break;
      case 'type':
        message = `${dotted(keys)}: ${show(value)} is ${Array.isArray(value) ? 'a list' : value === null ? 'empty' : `a ${typeof value}`}; expected ${String(error.params.type).replace(',', ' or ')}`;
        break;
      case 'enum':
        message = `${dotted(keys)}: ${show(value)} is not allowed; use one of ${(error.params.allowedValues as unknown[]).map(show).join(', ')}`;
        break;
      case 'const':
        message = `${dotted(keys)}: ${show(value)} is not allowed; use ${show(error.params.allowedValue)}`;
        break;
      case 'minimum':
      case 'maximum':
        message = `${dotted(keys)}: ${show(value)} is ${error.keyword === 'minimum' ? 'below the minimum' : 'above the maximum'} ${error.params.limit}`;
        break;
      case 'discriminator':
        message = `${dotted([...keys, String(error.params.tag)])}: ${show(valueAt(data, [...keys, String(error.params.tag)]))} is not a known ${error.params.tag}; use one of ${discriminatorValues(keys).join(', ')}`;
        break;
      default:
        message = `${dotted(keys)}: ${show(value)} ${error.message ?? 'is invalid'}`;
    }
    if (!seen.has(message)) {
      seen.add(message);
      problems.push(`${at}${message}`);
    }
  }
  return problems;
}

function discriminatorValues(keys: readonly (string | number)[]): string[] {
  const definitions = schemaRoot?.definitions ?? {};
  let union: any = schemaFor(keys, undefined);
  while (union?.$ref) union = definitions[union.$ref.replace('#/definitions/', '')];
  const tag = union?.discriminator?.propertyName;
  return (union?.oneOf ?? []).map((branch: any) => {
    const resolved = branch.$ref ? definitions[branch.$ref.replace('#/definitions/', '')] : branch;
    return show(resolved?.properties?.[tag]?.const);
  });
}
