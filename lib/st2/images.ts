import { ImageSettings } from '../common/workload';
import { St2Runtime } from './st2-process';

/** The release image of one st2 service, with a component's overrides applied. */
export function st2Image(runtime: Pick<St2Runtime, 'release'>, repository: string, override?: Partial<ImageSettings>): ImageSettings {
  return {
    registry: runtime.release.registry,
    repository,
    tag: runtime.release.version,
    digest: runtime.release.digest,
    pullPolicy: runtime.release.pullPolicy,
    ...override,
  };
}
