import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { requireInteger } from '../common/errors';
import { componentLabels, labelAll, selectorLabels } from '../common/meta';
import { toContainerResources } from '../common/resources';
import {
  checkPlacement,
  containerSecurity,
  imageReference,
  labelledDeployment,
  mergePlacement,
  patchPodSpec,
  pullPolicy,
  RunAs,
  spreadFor,
} from '../common/workload';
import { ComponentSettings } from '../config/component';
import { ServiceEndpoint } from '../config/endpoints';
import { DisruptionBudget } from '../common/disruption-budget';
import { st2Image } from './images';
import { St2Runtime } from './st2-process';
import { ComponentProfile, declareProfile } from '../common/component-profile';
import { httpService } from '../common/service';

export const ST2WEB_PORT = 80;

/** Props of {@link St2Web}. */
export interface St2WebProps {
  /**
   * Where `settings` come from, as error messages name them: an app that builds the construct
   * from its own configuration names its own key.
   * @default `st2.web`, the key in a StackStormHa values file
   */
  readonly setting?: string;
  readonly runtime: St2Runtime;
  /** Replicas, resources, image. @default 2 replicas, 10m CPU, 32Mi request, 128Mi limit */
  readonly settings?: ComponentSettings;
  /**
   * The Services the image's own nginx config names (it refuses to start until all three
   * resolve). Browsers never use these routes: the edge sends /api, /auth and /stream
   * straight to the Services; st2web only serves the static UI.
   */
  readonly upstreams: { readonly api: ServiceEndpoint; readonly auth: ServiceEndpoint; readonly stream: ServiceEndpoint };
}

export const ST2_WEB_PROFILE: ComponentProfile = {
  name: 'st2web',
  syncStage: 'processes',
  securityException: {
    rules: ['runAsNonRoot', 'capabilities', 'readOnlyRootFilesystem'],
    level: 'baseline',
    reason: 'the image runs nginx as root on port 80 and renders its config into /etc/nginx at start',
  },
};

/**
 * st2web: the static Web UI, served by the nginx inside the `stackstorm/st2web` image, as
 * the Deployment and ClusterIP Service `st2web` behind the edge. It is not a Python st2
 * process (no st2.conf, no datastores), so it is built here directly.
 *
 * The image runs nginx as root on port 80 and writes its config from a template at start,
 * so it is one of the documented root exceptions and its root filesystem stays writable.
 */
export class St2Web extends Construct {
  public readonly deployment: kplus.Deployment;
  public readonly service: kplus.Service;
  public readonly selector: Record<string, string>;

  constructor(scope: Construct, id: string, props: St2WebProps) {
    super(scope, id);
    const setting = props.setting ?? 'st2.web';
    declareProfile(this, ST2_WEB_PROFILE);
    const { runtime } = props;
    const settings = props.settings ?? {};
    const replicas = settings.replicas ?? 2;
    requireInteger(replicas, `${setting}.replicas`, 1);
    const name = 'st2web';
    const image = st2Image(runtime, 'st2web', settings.image);
    const root: RunAs = { user: 0, group: 0 };
    this.selector = selectorLabels(runtime.identity, name);
    const labels = componentLabels(runtime.identity, name, 'web', runtime.release.version);

    this.deployment = labelledDeployment(this, { name, replicas, selector: this.selector, labels, runAs: root });

    const url = (upstream: ServiceEndpoint) => kplus.EnvValue.fromValue(`http://${upstream.host}:${upstream.port}/`);
    const probe = (period: number, failures: number) =>
      kplus.Probe.fromHttpGet('/', {
        port: ST2WEB_PORT,
        periodSeconds: Duration.seconds(period),
        failureThreshold: failures,
        timeoutSeconds: Duration.seconds(3),
      });
    this.deployment.addContainer({
      name,
      image: imageReference(image, `${setting}.image`),
      imagePullPolicy: pullPolicy(image),
      envVariables: {
        // Plain HTTP: TLS ends at the edge, which is the only client of this Service.
        ST2WEB_HTTPS: kplus.EnvValue.fromValue('0'),
        ST2_API_URL: url(props.upstreams.api),
        ST2_AUTH_URL: url(props.upstreams.auth),
        ST2_STREAM_URL: url(props.upstreams.stream),
      },
      ports: [{ number: ST2WEB_PORT, name: 'http' }],
      resources: toContainerResources(settings.resources ?? { cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '128Mi' }, `${setting}.resources`),
      // The start command renders /etc/nginx/conf.d/st2.conf and nginx writes its pid and
      // cache under /var: the root filesystem must stay writable.
      securityContext: containerSecurity(root, false),
      readiness: probe(5, 2),
      liveness: probe(20, 3),
    });
    // Root nginx needs its default capabilities (bind :80, switch workers to the nginx user).
    checkPlacement(settings.placement, `${setting}.placement`);
    const placement = mergePlacement(runtime.placement, settings.placement);
    patchPodSpec(this.deployment, { selector: this.selector, spread: spreadFor(replicas, placement), placement, architectures: runtime.release.architectures });

    this.service = httpService(this, { name, selector: this.selector, port: ST2WEB_PORT });
    if (replicas >= 2) new DisruptionBudget(this, 'DisruptionBudget', { name, selector: this.selector, replicas });
    labelAll(this, labels);
  }
}
