import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { requireInteger } from '../common/errors';
import { componentLabels, labelAll, serviceHost } from '../common/meta';
import { toContainerResources } from '../common/resources';
import { shippedFile } from '../common/shipped-files';
import { containerSecurity, imageReference, pullPolicy } from '../common/workload';
import { ST2_STANLEY } from '../images/image-model';
import { ST2API_PORT, ST2AUTH_PORT, ST2STREAM_PORT } from './processes';
import { st2Image } from './images';
import { St2Runtime } from './st2-process';
import { st2HookJob } from './hook-job';
import { SmokeTestSettings } from '../config/st2';
import { ComponentProfile, declareProfile } from '../common/component-profile';

/** Props of {@link St2SmokeTest}. */
export interface St2SmokeTestProps {
  readonly runtime: St2Runtime;
  /** RBAC is on, so the test checks that it is enforced. @default false */
  readonly rbacEnabled?: boolean;
  /** @default enabled, 600 s wait */
  readonly settings?: SmokeTestSettings;
}

/** The script, from the project root. */
export const SMOKE_TEST_SCRIPT_PATH = 'lib/st2/scripts/smoke-test.sh';
/** Name of the Job, its ConfigMap and its NetworkPolicy. */
export const SMOKE_TEST_NAME = 'st2-smoke-test';
const SCRIPT_MOUNT = '/etc/st2/smoke-test';

/** An Argo CD PostSync hook: it runs once every wave is healthy; its wave only orders hooks. */
export const ST2_SMOKE_TEST_PROFILE: ComponentProfile = { name: 'st2-smoke-test', syncStage: 'edge' };

/**
 * The post-deploy smoke test, the GitOps counterpart of `helm test`: a Job that logs in with
 * the admin Secret and checks what the StackStorm chart's integration suite checks (version,
 * st2api/st2auth/st2stream answer, `core` actions registered, `core.local cmd=id` runs as
 * stanley, key-value set/get/delete, the chatops rule loaded, RBAC when enabled). Argo CD
 * runs it as a PostSync hook, so a failure fails the sync; `kubectl apply` and Flux ignore
 * hooks and run it at once, so it first waits, bounded, for st2 to accept a login. By hand:
 * `kubectl -n <ns> create job --from=job/st2-smoke-test smoke-$(date +%s)`.
 */
export class St2SmokeTest extends Construct {
  public readonly job: kplus.Job;
  public readonly configMap: kplus.ConfigMap;

  constructor(scope: Construct, id: string, props: St2SmokeTestProps) {
    super(scope, id);
    declareProfile(this, ST2_SMOKE_TEST_PROFILE);
    const { runtime } = props;
    const wait = props.settings?.waitSeconds ?? 600;
    requireInteger(wait, 'st2.smokeTest.waitSeconds', 30, 86400);
    this.configMap = new kplus.ConfigMap(this, 'Script', {
      metadata: { name: SMOKE_TEST_NAME },
      data: { 'smoke-test.sh': shippedFile(SMOKE_TEST_SCRIPT_PATH) },
    });
    // backoffLimit 0: the script retries the login itself; a second pod would only repeat a verdict.
    this.job = st2HookJob(this, 'Job', { runtime, name: SMOKE_TEST_NAME, phase: 'PostSync', backoffLimit: 0, activeDeadline: Duration.seconds(wait + 600) });

    const image = st2Image(runtime, 'st2actionrunner');
    const admin = kplus.Secret.fromSecretName(this, 'Admin', runtime.secrets.adminCredentials);
    const url = (service: string, port: number) => kplus.EnvValue.fromValue(`http://${serviceHost(runtime.identity, service)}:${port}`);
    const container = this.job.addContainer({
      name: 'smoke-test',
      image: imageReference(image, 'st2.smokeTest.image'),
      imagePullPolicy: pullPolicy(image),
      command: ['bash', `${SCRIPT_MOUNT}/smoke-test.sh`],
      envVariables: {
        ST2_API_URL: url('st2api', ST2API_PORT),
        ST2_AUTH_URL: url('st2auth', ST2AUTH_PORT),
        ST2_STREAM_URL: url('st2stream', ST2STREAM_PORT),
        ST2_AUTH_USERNAME: kplus.EnvValue.fromSecretValue({ secret: admin, key: 'username' }),
        ST2_AUTH_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: admin, key: 'password' }),
        SMOKE_EXPECT_VERSION: kplus.EnvValue.fromValue(runtime.release.version),
        SMOKE_EXPECT_USER: kplus.EnvValue.fromValue(ST2_STANLEY.name),
        SMOKE_RBAC: kplus.EnvValue.fromValue(props.rbacEnabled ? 'true' : 'false'),
        SMOKE_WAIT_SECONDS: kplus.EnvValue.fromValue(String(wait)),
        // st2client keeps its token cache and config under ~/.st2; the root filesystem is read-only.
        HOME: kplus.EnvValue.fromValue('/tmp'),
      },
      resources: toContainerResources({ cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' }, 'st2.smokeTest.resources'),
      securityContext: containerSecurity(runtime.st2User),
    });
    container.mount(SCRIPT_MOUNT, kplus.Volume.fromConfigMap(this, 'ScriptVolume', this.configMap, { name: 'smoke-test' }), { readOnly: true });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) }));

    labelAll(this.configMap, componentLabels(runtime.identity, SMOKE_TEST_NAME, 'job', runtime.release.version));
  }
}
