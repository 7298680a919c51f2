import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { check } from '../common/errors';
import { componentLabels, labelAll, selectorLabels, serviceHost } from '../common/meta';
import { RESOURCE_PRESETS, toContainerResources } from '../common/resources';
import { checkPlacement, containerSecurity, imageReference, labelledDeployment, mergePlacement, patchPodSpec, pullPolicy } from '../common/workload';
import { checkReplicas } from '../config/ha-mode';

import { St2Runtime } from './st2-process';
import { st2Image } from './images';
import { ST2API_PORT, ST2AUTH_PORT, ST2STREAM_PORT } from './processes';
import { ChatOpsSettings } from '../config/st2';
import { ComponentProfile, declareProfile } from '../common/component-profile';

export const CHATOPS_PORT = 8081;

/** Props of {@link St2ChatOps}. */
export interface St2ChatOpsProps {
  /**
   * Where `settings` come from, as error messages name them: an app that builds the construct
   * from its own configuration names its own key.
   * @default `st2.chatops`, the key in a StackStormHa values file
   */
  readonly setting?: string;
  readonly runtime: St2Runtime;
  readonly settings: ChatOpsSettings;
}

export const ST2_CHATOPS_PROFILE: ComponentProfile = {
  name: 'st2chatops',
  syncStage: 'processes',
  securityException: {
    rules: ['readOnlyRootFilesystem'],
    level: 'restricted',
    reason: 'hubot writes its brain and npm caches under its home directory in the image',
  },
  byDesign: { mode: 'singleton', reason: 'active-passive: two bots would answer every message twice' },
};

/**
 * st2chatops (hubot): active-passive. Two bots on one chat account would answer every
 * command twice, so there is exactly one replica and a Recreate rollout: the old pod is
 * gone before the new one connects (never two writers). Kubernetes restarting or
 * rescheduling the pod is the "passive" half the guide suggests keepalived for.
 */
export class St2ChatOps extends Construct {
  public readonly deployment: kplus.Deployment;

  constructor(scope: Construct, id: string, props: St2ChatOpsProps) {
    super(scope, id);
    const setting = props.setting ?? 'st2.chatops';
    declareProfile(this, ST2_CHATOPS_PROFILE);
    const { runtime, settings } = props;
    const replicas = settings.replicas ?? 1;
    checkReplicas({ setting: setting, replicas, mode: 'active-passive', coordination: runtime.config.conf.coordination });
    check(
      !!settings.adapterSecret,
      `${setting}.adapterSecret`,
      'chatops is enabled but names no adapter Secret',
      'create a Secret with HUBOT_ADAPTER and the adapter token (README, "Secrets") and name it here, or disable chatops',
    );
    const name = 'st2chatops';
    const selector = selectorLabels(runtime.identity, name);
    const labels = componentLabels(runtime.identity, name, 'chatops', runtime.release.version);
    this.deployment = labelledDeployment(this, {
      name,
      replicas,
      selector,
      labels,
      runAs: runtime.st2User,
      strategy: kplus.DeploymentStrategy.recreate(),
    });
    const image = st2Image(runtime, 'st2chatops', settings.image);
    const internal = (service: string, port: number) => `http://${serviceHost(runtime.identity, service)}:${port}`;
    const admin = kplus.Secret.fromSecretName(this, 'Admin', runtime.secrets.adminCredentials);
    const container = this.deployment.addContainer({
      name,
      image: imageReference(image, `${setting}.image`),
      imagePullPolicy: pullPolicy(image),
      ports: [{ number: CHATOPS_PORT, name: 'http' }],
      envVariables: {
        ST2_API_URL: kplus.EnvValue.fromValue(`${internal('st2api', ST2API_PORT)}`),
        ST2_AUTH_URL: kplus.EnvValue.fromValue(`${internal('st2auth', ST2AUTH_PORT)}`),
        ST2_STREAM_URL: kplus.EnvValue.fromValue(`${internal('st2stream', ST2STREAM_PORT)}`),
        ST2_AUTH_USERNAME: kplus.EnvValue.fromSecretValue({ secret: admin, key: 'username' }),
        ST2_AUTH_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: admin, key: 'password' }),
        EXPRESS_PORT: kplus.EnvValue.fromValue(String(CHATOPS_PORT)),
        // The chatops image has its own `st2` account and no stanley: UID 1000 has no
        // passwd entry there, so no home either (Node needs none); npm and hubot get /tmp.
        HOME: kplus.EnvValue.fromValue('/tmp'),
      },
      resources: toContainerResources(settings.resources ?? RESOURCE_PRESETS.small, `${setting}.resources`),
      // hubot writes its brain and npm caches under its home directory.
      securityContext: containerSecurity(runtime.st2User, false),
      readiness: kplus.Probe.fromTcpSocket({ port: CHATOPS_PORT, periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
      liveness: kplus.Probe.fromTcpSocket({
        port: CHATOPS_PORT,
        periodSeconds: Duration.seconds(30),
        failureThreshold: 4,
        initialDelaySeconds: Duration.seconds(60),
      }),
    });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(256) }));
    container.env.copyFrom(kplus.Env.fromSecret(kplus.Secret.fromSecretName(this, 'Adapter', settings.adapterSecret!)));
    checkPlacement(settings.placement, `${setting}.placement`);
    patchPodSpec(this.deployment, { selector, placement: mergePlacement(runtime.placement, settings.placement), architectures: runtime.release.architectures });
    this.node.addMetadata('ha-mode', 'active-passive');
    labelAll(this, labels);
  }
}
