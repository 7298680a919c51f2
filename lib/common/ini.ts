/**
 * A pure renderer for the INI dialect read by oslo.config (st2.conf, mistral.conf).
 *
 * Sections and keys keep the order they were given in, so the output is stable and a
 * diff of two renders shows only what changed.
 */

/** A value oslo.config can parse: booleans render as True/False, lists comma-joined. */
export type IniValue = string | number | boolean | readonly (string | number)[];

/** One `[section]`: keys in insertion order; `undefined` values are omitted. */
export type IniSection = Record<string, IniValue | undefined>;

/** A whole file: sections in insertion order; empty sections are omitted. */
export type IniDocument = Record<string, IniSection>;

export function renderIniValue(value: IniValue): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) return value.join(',');
  const text = String(value);
  if (/[\r\n]/.test(text)) {
    throw new Error(`INI value ${JSON.stringify(text)} contains a line break; oslo.config reads one line per key`);
  }
  return text;
}

export function renderIni(document: IniDocument, header?: string): string {
  const blocks: string[] = [];
  if (header)
    blocks.push(
      header
        .split('\n')
        .map((line) => `# ${line}`.trimEnd())
        .join('\n'),
    );
  for (const [section, keys] of Object.entries(document)) {
    const lines = Object.entries(keys)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key} = ${renderIniValue(value as IniValue)}`.trimEnd());
    if (lines.length === 0) continue;
    blocks.push([`[${section}]`, ...lines].join('\n'));
  }
  return blocks.join('\n\n') + '\n';
}

/** Deep-merges override sections into a base document (override keys win). */
export function mergeIni(base: IniDocument, ...overrides: (IniDocument | undefined)[]): IniDocument {
  const merged: IniDocument = {};
  for (const document of [base, ...overrides]) {
    if (!document) continue;
    for (const [section, keys] of Object.entries(document)) {
      merged[section] = { ...(merged[section] ?? {}), ...keys };
    }
  }
  return merged;
}
