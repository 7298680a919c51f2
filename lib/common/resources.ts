import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { SettingError } from './errors';

/**
 * Compute resources of one container, as Kubernetes quantities. Requests and a memory
 * limit are always set: an unset value would let cdk8s-plus fill in its own defaults.
 */
export interface ResourceSettings {
  /** CPU request, e.g. `100m` or `1`. */
  readonly cpuRequest: string;
  /** CPU limit; omitted by default so a busy process is throttled only by contention. @default no limit */
  readonly cpuLimit?: string;
  /** Memory request, e.g. `256Mi`. */
  readonly memoryRequest: string;
  /** Memory limit, e.g. `512Mi`; at least the request. */
  readonly memoryLimit: string;
}

const MEMORY = /^([0-9]+)(Ki|Mi|Gi)$/;
const CPU = /^([0-9]+)(m?)$/;

function parseMemory(value: string, setting: string): Size {
  const match = MEMORY.exec(value);
  if (!match) throw new SettingError(setting, `${JSON.stringify(value)} is not a memory quantity`, 'write a whole number with Ki, Mi or Gi, e.g. 256Mi');
  const amount = Number(match[1]);
  if (match[2] === 'Ki') return Size.kibibytes(amount);
  if (match[2] === 'Mi') return Size.mebibytes(amount);
  return Size.gibibytes(amount);
}

function parseCpu(value: string, setting: string): kplus.Cpu {
  const match = CPU.exec(value);
  if (!match || Number(match[1]) === 0)
    throw new SettingError(setting, `${JSON.stringify(value)} is not a CPU quantity`, 'write millicores like 250m or whole cores like 2');
  return match[2] === 'm' ? kplus.Cpu.millis(Number(match[1])) : kplus.Cpu.units(Number(match[1]));
}

function kibibytes(value: string): number {
  const match = MEMORY.exec(value)!;
  return Number(match[1]) * { Ki: 1, Mi: 1024, Gi: 1024 * 1024 }[match[2] as 'Ki' | 'Mi' | 'Gi'];
}

/** Validates resource settings and converts them for cdk8s-plus. */
export function toContainerResources(settings: ResourceSettings, setting: string): kplus.ContainerResources {
  const memoryRequest = parseMemory(settings.memoryRequest, `${setting}.memoryRequest`);
  const memoryLimit = parseMemory(settings.memoryLimit, `${setting}.memoryLimit`);
  if (kibibytes(settings.memoryLimit) < kibibytes(settings.memoryRequest)) {
    throw new SettingError(
      `${setting}.memoryLimit`,
      `${settings.memoryLimit} is below the request ${settings.memoryRequest}`,
      'raise the limit to at least the request',
    );
  }
  return {
    cpu: {
      request: parseCpu(settings.cpuRequest, `${setting}.cpuRequest`),
      limit: settings.cpuLimit === undefined ? undefined : parseCpu(settings.cpuLimit, `${setting}.cpuLimit`),
    },
    memory: { request: memoryRequest, limit: memoryLimit },
  };
}

/** Sizes by role; every component picks one and users override per component. */
export const RESOURCE_PRESETS = {
  /** A small helper process (init containers, jobs' waits). */
  tiny: { cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '64Mi' },
  /** A light st2 Python service. */
  small: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '384Mi' },
  /** An st2 service that handles requests or many messages. */
  medium: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '768Mi' },
  /** Runs user code (action runners, sensors) or holds data (datastores). */
  large: { cpuRequest: '250m', memoryRequest: '512Mi', memoryLimit: '1536Mi' },
} as const satisfies Record<string, ResourceSettings>;
