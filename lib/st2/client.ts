import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ComponentProfile, declareProfile } from '../common/component-profile';
import { componentLabels, labelAll, selectorLabels, serviceHost } from '../common/meta';
import { RESOURCE_PRESETS, toContainerResources } from '../common/resources';
import { checkPlacement, containerSecurity, imageReference, labelledDeployment, mergePlacement, patchPodSpec, pullPolicy } from '../common/workload';
import { ComponentSettings } from '../config/component';
import { st2Image } from './images';
import { ST2API_PORT, ST2AUTH_PORT, ST2STREAM_PORT } from './processes';
import { St2Runtime } from './st2-process';

/** An operator's shell, not a service: nothing depends on it, and one copy is plenty. */
export const ST2_CLIENT_PROFILE: ComponentProfile = {
  name: 'st2client',
  syncStage: 'processes',
  byDesign: { mode: 'singleton', reason: 'an operator shell for `kubectl exec`; nothing depends on it' },
};

/** Props of {@link St2Client}. */
export interface St2ClientProps {
  /**
   * Where `settings` come from, as error messages name them: an app that builds the construct
   * from its own configuration names its own key.
   * @default `st2.client`, the key in a StackStormHa values file
   */
  readonly setting?: string;
  readonly runtime: St2Runtime;
  /** Resources, image and placement. @default the release's st2actionrunner image (it ships the st2 CLI), small resources */
  readonly settings?: ComponentSettings;
}

/**
 * A pod with the st2 CLI pointed at the in-cluster st2api, st2auth and st2stream and logged
 * in as the admin account (`secrets.adminCredentials`):
 * `kubectl -n <namespace> exec -it deploy/st2client -- st2 action list`. It reaches nothing
 * but those three.
 */
export class St2Client extends Construct {
  public readonly deployment: kplus.Deployment;

  constructor(scope: Construct, id: string, props: St2ClientProps) {
    super(scope, id);
    const setting = props.setting ?? 'st2.client';
    declareProfile(this, ST2_CLIENT_PROFILE);
    const { runtime } = props;
    const settings = props.settings ?? {};
    const name = ST2_CLIENT_PROFILE.name;
    const selector = selectorLabels(runtime.identity, name);
    const labels = componentLabels(runtime.identity, name, 'client', runtime.release.version);
    this.deployment = labelledDeployment(this, { name, replicas: 1, selector, labels, runAs: runtime.st2User });
    const image = st2Image(runtime, 'st2actionrunner', settings.image);
    const internal = (service: string, port: number) => `http://${serviceHost(runtime.identity, service)}:${port}`;
    const admin = kplus.Secret.fromSecretName(this, 'Admin', runtime.secrets.adminCredentials);
    const container = this.deployment.addContainer({
      name,
      image: imageReference(image, `${setting}.image`),
      imagePullPolicy: pullPolicy(image),
      command: ['sleep', 'infinity'],
      envVariables: {
        ST2_API_URL: kplus.EnvValue.fromValue(internal('st2api', ST2API_PORT)),
        ST2_AUTH_URL: kplus.EnvValue.fromValue(internal('st2auth', ST2AUTH_PORT)),
        ST2_STREAM_URL: kplus.EnvValue.fromValue(internal('st2stream', ST2STREAM_PORT)),
        ST2_AUTH_USERNAME: kplus.EnvValue.fromSecretValue({ secret: admin, key: 'username' }),
        ST2_AUTH_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: admin, key: 'password' }),
        // The CLI caches its token under ~/.st2: a writable home on a read-only root.
        HOME: kplus.EnvValue.fromValue('/tmp'),
      },
      resources: toContainerResources(settings.resources ?? RESOURCE_PRESETS.small, `${setting}.resources`),
      securityContext: containerSecurity(runtime.st2User),
    });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) }));
    checkPlacement(settings.placement, `${setting}.placement`);
    patchPodSpec(this.deployment, { selector, placement: mergePlacement(runtime.placement, settings.placement), architectures: runtime.release.architectures });
    labelAll(this, labels);
  }
}
