import { Yaml } from 'cdk8s';
import { Document } from 'yaml';

/**
 * Writes one Kubernetes manifest as YAML, byte for byte what cdk8s's `Yaml.stringify` writes
 * (the `yaml` library, YAML 1.1 schema, no line folding), in a fraction of the time: the
 * library builds a node tree per document and tests every string against every tag, which
 * was the largest single cost of a synth (see README, "Performance").
 *
 * Only a conservative subset is written here: maps, sequences, safe integers, booleans,
 * and strings of printable characters, multi-line strings only as plain literal blocks.
 * Anything else (a float, a tab, a control character, a block that starts with spaces, an
 * object reached twice, which the library would write as an alias) makes the whole
 * document go through `Yaml.stringify`, so the output never depends on guessing a rule.
 * __tests__/manifest-yaml.test.ts compares both writers on every synthesized object.
 */
export function manifestYaml(manifest: unknown): string {
  return fastManifestYaml(manifest) ?? Yaml.stringify(manifest);
}

/** The fast writer alone: `undefined` when the manifest is outside its subset. */
export function fastManifestYaml(manifest: unknown): string | undefined {
  if (!isPlainObject(manifest) || Object.keys(manifest).length === 0) return undefined;
  try {
    return mapText(manifest, Object.keys(manifest), '', new Set(), false);
  } catch (error) {
    if (error === OUTSIDE_SUBSET) return undefined;
    throw error;
  }
}

const OUTSIDE_SUBSET = new Error('value outside the fast YAML subset');
const STEP = '  ';
/** The longest key the library writes as an implicit `key:` (longer ones become `? key`). */
const MAX_IMPLICIT_KEY = 1024;

/**
 * The tags of the YAML 1.1 schema a plain scalar could be mistaken for (null, booleans such
 * as `yes` and `off`, numbers in any base, timestamps, `<<`): such strings must be quoted.
 * Taken from the library itself, so both writers agree on what is ambiguous.
 */
let ambiguous: RegExp[] | undefined;
function ambiguousTests(): RegExp[] {
  ambiguous ??= new Document(null, { version: '1.1' }).schema.tags
    .filter((tag) => tag.default && tag.tag !== 'tag:yaml.org,2002:str' && tag.test)
    .map((tag) => tag.test!);
  return ambiguous;
}

/** Printable characters only: no tab, no control or special line-break character. */
const OUTSIDE_CHARACTERS = /[^\n\x20-\x7e\u00a1-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]/;
/** Plain scalars may not start with an indicator, contain `: ` or ` #`, or end in space or colon. */
const NOT_PLAIN = /^[ ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-] |: | #|[ :]$/;
/** Lines YAML could read as a directive or a document boundary. */
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** Renders rendered strings once: label keys and values repeat across every object. */
const scalars = new Map<string, string>();

function singleLine(value: string): string {
  let rendered = scalars.get(value);
  if (rendered !== undefined) return rendered;
  // `<<` is the merge key, which the library writes through its own tag.
  if (OUTSIDE_CHARACTERS.test(value) || DOCUMENT_MARKER.test(value) || value.length > MAX_IMPLICIT_KEY || value === '<<') throw OUTSIDE_SUBSET;
  if (!NOT_PLAIN.test(value) && !ambiguousTests().some((test) => test.test(value))) {
    rendered = value;
  } else if (value.includes('"') && !value.includes("'")) {
    rendered = `'${value}'`;
  } else {
    // JSON escapes exactly `"` and `\` in printable text, as YAML's double quotes need.
    rendered = JSON.stringify(value);
  }
  scalars.set(value, rendered);
  return rendered;
}

/** A multi-line string as a literal block whose lines sit at `indent`. */
function literalBlock(value: string, indent: string): string {
  // Leading spaces or newlines need an indentation indicator, and spaces after the last
  // newline make the library quote the string instead: both are left to it.
  if (OUTSIDE_CHARACTERS.test(value) || value.startsWith(' ') || value.startsWith('\n') || /\n +$/.test(value)) {
    throw OUTSIDE_SUBSET;
  }
  // Chomping: `|-` no final newline, `|` exactly one, `|+` keep the trailing empty lines.
  const trailing = /[ \n]*$/.exec(value)![0];
  const newlines = trailing.split('\n').length - 1;
  const header = newlines === 0 ? '|-' : newlines === 1 && trailing.endsWith('\n') ? '|' : '|+';
  const body = newlines === 0 ? value : value.slice(0, -1);
  // Every non-empty line is indented; empty lines stay empty.
  return `${header}\n${indent}${body.replace(/\n(?=[^\n])/g, `\n${indent}`)}`;
}

/** A scalar written after `key: ` or `- `, block lines at `indent`. */
function scalar(value: unknown, indent: string): string {
  switch (typeof value) {
    case 'string':
      return value.includes('\n') ? literalBlock(value, indent) : singleLine(value);
    case 'number':
      if (!Number.isSafeInteger(value) || Object.is(value, -0)) throw OUTSIDE_SUBSET;
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      throw OUTSIDE_SUBSET;
  }
}

// The writers below build strings by concatenation, which V8 does without copying; they
// run once per value of every manifest, so they stay free of closures and list each map's
// keys once.

/** A block map whose keys sit at `indent`; with `inline`, the first key continues the current line. */
function mapText(map: Record<string, unknown>, keys: readonly string[], indent: string, seen: Set<object>, inline: boolean): string {
  let text = '';
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index];
    if (key.includes('\n')) throw OUTSIDE_SUBSET;
    text += (index === 0 && inline ? '' : indent) + singleLine(key) + ':' + valueText(map[key], indent, seen, false);
  }
  return text;
}

/** A block sequence whose dashes sit at `indent` (the library indents sequences under keys). */
function seqText(seq: readonly unknown[], indent: string, seen: Set<object>, inline: boolean): string {
  let text = '';
  for (let index = 0; index < seq.length; index++) {
    text += (index === 0 && inline ? '' : indent) + '-' + valueText(seq[index], indent, seen, true);
  }
  return text;
}

/**
 * What follows `key:` or `-` (at `indent`), up to and including the last line break:
 * a scalar, `{}`/`[]`, or a nested block. Throws for anything odd, including an object
 * reached twice (the library would write an anchor and an alias).
 */
function valueText(value: unknown, indent: string, seen: Set<object>, inSeq: boolean): string {
  const inner = indent + STEP;
  if (typeof value !== 'object' || value === null) return ' ' + scalar(value, inner) + '\n';
  if (seen.has(value)) throw OUTSIDE_SUBSET;
  seen.add(value);
  let body: string;
  if (Array.isArray(value)) {
    if (value.length === 0) return ' []\n';
    body = seqText(value, inner, seen, inSeq);
  } else {
    if (!isPlainObject(value)) throw OUTSIDE_SUBSET;
    const keys = Object.keys(value);
    if (keys.length === 0) return ' {}\n';
    body = mapText(value, keys, inner, seen, inSeq);
  }
  // A collection in a sequence item starts on the dash's line.
  return (inSeq ? ' ' : '\n') + body;
}
