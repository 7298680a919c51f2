import { Construct } from 'constructs';
import { k8s } from '../../imports/k8s';
import { SettingError } from './errors';

/** Props of {@link DisruptionBudget}. */
export interface DisruptionBudgetProps {
  /** Name of the PodDisruptionBudget (the workload's name). */
  readonly name: string;
  /** Labels of the pods it protects (the workload's selector). */
  readonly selector: Record<string, string>;
  /** Replicas of the workload; a budget needs at least 2. */
  readonly replicas: number;
  /**
   * Pods that may be voluntarily evicted at once. Quorum systems keep 1 so a 3-member set
   * never drops below its majority.
   * @default 1
   */
  readonly maxUnavailable?: number;
}

/**
 * A PodDisruptionBudget that always lets a drain make progress (maxUnavailable, never
 * minAvailable = replicas) and evicts pods that are already unhealthy: an unready pod
 * serves nothing, and keeping it blocks node maintenance.
 */
export class DisruptionBudget extends Construct {
  constructor(scope: Construct, id: string, props: DisruptionBudgetProps) {
    super(scope, id);
    const maxUnavailable = props.maxUnavailable ?? 1;
    if (props.replicas < 2) {
      throw new SettingError(
        `${props.name}.replicas`,
        `a disruption budget for ${props.replicas} replica(s) would block every drain`,
        'give the workload 2 or more replicas, or do not create a budget',
      );
    }
    if (maxUnavailable < 1 || maxUnavailable >= props.replicas) {
      throw new SettingError(`${props.name}.maxUnavailable`, `${maxUnavailable} of ${props.replicas} replicas`, `choose from 1 to ${props.replicas - 1}`);
    }
    new k8s.KubePodDisruptionBudget(this, 'Resource', {
      metadata: { name: props.name },
      spec: {
        maxUnavailable: k8s.IntOrString.fromNumber(maxUnavailable),
        selector: { matchLabels: props.selector },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  }
}
