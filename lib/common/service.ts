import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';

/**
 * The ClusterIP Service in front of an HTTP workload: named after it, selecting its pods by
 * our labels (never cdk8s-plus's hashed address), port `http` = the container port.
 */
export function httpService(
  scope: Construct,
  props: { readonly name: string; readonly selector: Readonly<Record<string, string>>; readonly port: number },
): kplus.Service {
  return new kplus.Service(scope, 'Service', {
    metadata: { name: props.name },
    type: kplus.ServiceType.CLUSTER_IP,
    selector: kplus.Pods.select(scope, 'Pods', { labels: { ...props.selector } }),
    ports: [{ port: props.port, targetPort: props.port, name: 'http' }],
  });
}
