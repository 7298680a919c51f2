import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';

/** A TCP probe, for services st2 offers no unauthenticated HTTP check on (st2 issue 4020). */
export function tcpProbe(port: number, periodSeconds: number, failureThreshold: number, initialDelaySeconds = 0): kplus.Probe {
  return kplus.Probe.fromTcpSocket({
    port,
    periodSeconds: Duration.seconds(periodSeconds),
    failureThreshold,
    initialDelaySeconds: Duration.seconds(initialDelaySeconds),
    timeoutSeconds: Duration.seconds(3),
  });
}

/** An HTTP GET probe. */
export function httpProbe(path: string, port: number, periodSeconds: number, failureThreshold: number, initialDelaySeconds = 0): kplus.Probe {
  return kplus.Probe.fromHttpGet(path, {
    port,
    periodSeconds: Duration.seconds(periodSeconds),
    failureThreshold,
    initialDelaySeconds: Duration.seconds(initialDelaySeconds),
    timeoutSeconds: Duration.seconds(3),
  });
}
