import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { checkReplicas } from '../config/ha-mode';
import { componentLabels, labelAll, selectorLabels } from '../common/meta';
import { ResourceSettings } from '../common/resources';
import { checkPlacement, ImageSettings, labelledDeployment, mergePlacement, patchPodSpec, PlacementSettings, spreadFor } from '../common/workload';
import { DisruptionBudget } from '../common/disruption-budget';
import { addMistralContainers, MistralConfig } from './mistral-config';
import { httpService } from '../common/service';

/** Props of {@link MistralProcess}. */
export interface MistralProcessProps {
  readonly config: MistralConfig;
  /** Kubernetes name of the Deployment (and Service, PDB). */
  readonly name: string;
  /** Setting path used in error messages, e.g. `mistral.api`. */
  readonly setting: string;
  /** Desired replicas; both Mistral processes are active-active. */
  readonly replicas: number;
  /** Full command line. */
  readonly command: readonly string[];
  readonly resources: ResourceSettings;
  /** Image fields overriding the shared Mistral image. @default the shared image */
  readonly image?: Partial<ImageSettings>;
  /** This process's own placement, over the global one key by key. @default the global placement */
  readonly placement?: PlacementSettings;
  /** TCP port served; a ClusterIP Service is created for it. @default no Service */
  readonly port?: number;
  /** @default none */
  readonly readiness?: kplus.Probe;
  /** @default none */
  readonly liveness?: kplus.Probe;
  /** Seconds to keep serving after SIGTERM is scheduled (endpoint removal). @default 0 */
  readonly preStopSleepSeconds?: number;
}

/**
 * One Mistral process as an active-active Deployment: the shared mistral.conf, spread
 * across nodes, rolled one surge pod at a time, with a disruption budget from 2 replicas.
 */
export class MistralProcess extends Construct {
  public readonly deployment: kplus.Deployment;
  public readonly container: kplus.Container;
  public readonly service?: kplus.Service;
  public readonly selector: Record<string, string>;

  constructor(scope: Construct, id: string, props: MistralProcessProps) {
    super(scope, id);
    const { config } = props;
    const { identity, runAs, version, placement, architectures } = config.props;
    // Mistral coordinates through RabbitMQ and PostgreSQL, not tooz: no backend needed.
    checkReplicas({ setting: props.setting, replicas: props.replicas, mode: 'active-active', coordination: { backend: 'none', hosts: [] } });
    this.selector = selectorLabels(identity, props.name);
    const labels = componentLabels(identity, props.name, 'workflow', version);
    this.deployment = labelledDeployment(this, {
      name: props.name,
      replicas: props.replicas,
      selector: this.selector,
      labels,
      runAs,
      podAnnotations: { 'checksum/config': config.hash },
    });
    this.container = addMistralContainers(this, this.deployment, {
      config,
      setting: props.setting,
      containerName: props.name,
      image: props.image,
      command: props.command,
      resources: props.resources,
      port: props.port,
      readiness: props.readiness,
      liveness: props.liveness,
      preStopSleepSeconds: props.preStopSleepSeconds,
    });
    checkPlacement(props.placement, `${props.setting}.placement`);
    const own = mergePlacement(placement, props.placement);
    patchPodSpec(this.deployment, { selector: this.selector, spread: spreadFor(props.replicas, own), placement: own, architectures });
    if (props.port) {
      this.service = httpService(this, { name: props.name, selector: this.selector, port: props.port });
    }
    if (props.replicas >= 2) new DisruptionBudget(this, 'DisruptionBudget', { name: props.name, selector: this.selector, replicas: props.replicas });
    labelAll(this, labels);
  }
}
