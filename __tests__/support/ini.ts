/**
 * Reads oslo.config INI text back into sections of raw string values, so tests assert on
 * what a process would read rather than on substrings. Comments and blank lines are
 * skipped; a repeated key keeps its last value, as oslo.config does.
 */
export function parse(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = sections[header[1]] ??= {};
      continue;
    }
    const at = line.indexOf('=');
    if (!current || at < 0) throw new Error(`not an INI line: ${JSON.stringify(raw)}`);
    current[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return sections;
}
