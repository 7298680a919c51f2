import { StackStormHaSettings } from '../lib';

/**
 * The environments `npm run synth` writes to dist/<name>/. Each is plain data: the same
 * settings a library user passes to `new StackStormHa(...)`.
 */
export const ENVIRONMENTS: Record<string, StackStormHaSettings> = {
  /** The reference HA deployment: the guide's architecture on current StackStorm. */
  ha: {
    namespace: 'stackstorm',
    publicUrl: 'https://stackstorm.example.com',
  },
};
