import { shippedFile } from './shipped-files';

const PLACEHOLDER = /\{\{([A-Z][A-Z0-9_]*)\}\}/g;

/**
 * A shipped script with its `{{NAME}}` placeholders filled: scripts stay real files (shell
 * and JavaScript that linters and tests read as what they are) while the values come from
 * typed settings. Every placeholder must be given a value and every value must be used, so a
 * renamed placeholder fails the synth instead of shipping `{{NAME}}` into a pod.
 */
export function fillTemplate(relative: string, values: Readonly<Record<string, string | number>>): string {
  const text = shippedFile(relative);
  const used = new Set<string>();
  const filled = text.replace(PLACEHOLDER, (_, name: string) => {
    if (!(name in values)) throw new Error(`${relative}: no value for {{${name}}}`);
    used.add(name);
    return String(values[name]);
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`${relative}: ${unused.map((name) => `{{${name}}}`).join(', ')} not in the template`);
  return filled;
}
