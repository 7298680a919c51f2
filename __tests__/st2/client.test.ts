/** st2.client: an st2 CLI pod for `kubectl exec`, logged in as the admin, reaching only the st2 HTTP services. */
import { ENVIRONMENTS } from '../../environments';
import { StackStormHaSettings } from '../../lib';
import { COMPONENT_PROFILES } from '../../lib/stackstorm-ha';
import { failureDomainReport } from '../../lib/report/failure-domains';
import { expectSettingError } from '../support/errors';
import { validateAll } from '../support/k8s-schema';
import { find, podTemplates, synth } from '../support/synth';

const withClient = (client: object): StackStormHaSettings => ({ ...ENVIRONMENTS.ha, st2: { ...ENVIRONMENTS.ha.st2, client } });
const objects = synth(withClient({ enabled: true }));

test('one hardened pod of the st2actionrunner image with the CLI pointed at the in-cluster services', () => {
  const { template, object } = podTemplates(objects).find(({ object }) => object.metadata.name === 'st2client')!;
  expect(object.spec.replicas).toBe(1);
  const container = template.spec.containers[0];
  expect(container.image).toBe('docker.io/stackstorm/st2actionrunner:3.9.0');
  expect(container.command).toEqual(['sleep', 'infinity']);
  expect(container.env).toEqual(
    expect.arrayContaining([
      { name: 'ST2_API_URL', value: 'http://st2api.stackstorm.svc.cluster.local:9101' },
      { name: 'ST2_AUTH_USERNAME', valueFrom: { secretKeyRef: { name: 'st2-admin', key: 'username' } } },
      { name: 'HOME', value: '/tmp' },
    ]),
  );
  expect(container.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, readOnlyRootFilesystem: true }));
  expect(validateAll(objects)).toEqual([]);
});

test('its NetworkPolicy lets it reach st2api, st2auth and st2stream and nothing else but DNS', () => {
  const egress = find(objects, 'NetworkPolicy', 'st2client').spec.egress;
  const targets = egress.map((rule: any) => rule.to[0].podSelector?.matchLabels['app.kubernetes.io/name'] ?? 'dns').sort();
  expect(targets).toEqual(['dns', 'st2api', 'st2auth', 'st2stream']);
  expect(find(objects, 'NetworkPolicy', 'st2client').spec.ingress).toEqual([]);
});

test('the failure-domain report counts it as a by-design singleton, not a failure', () => {
  const report = failureDomainReport(objects as never, COMPONENT_PROFILES);
  expect(report.components.find((c) => c.name === 'st2client')!.status).toBe('by-design');
  expect(report.failures).not.toContain('st2client');
});

test('off by default', () => {
  expect(synth(ENVIRONMENTS.ha).some((o) => o.metadata.name === 'st2client')).toBe(false);
});

test('bad placement is named under st2.client', () => {
  expectSettingError(
    () => synth(withClient({ enabled: true, placement: { priorityClassName: 'X' } })),
    'st2.client.placement.priorityClassName',
    'is not a PriorityClass name',
  );
});
