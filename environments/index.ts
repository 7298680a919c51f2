import { StackStormHaSettings } from '../lib';
import { loadEnvironments } from '../lib/config/environments';

/**
 * The environments `npm run synth` writes to dist/<name>/: every `<name>.yaml` in this
 * folder, validated against schemas/settings.schema.json. Library users can skip files and
 * pass the same StackStormHaSettings to `new StackStormHa(...)` directly.
 */
export const ENVIRONMENTS: Record<string, StackStormHaSettings> = loadEnvironments(__dirname);
