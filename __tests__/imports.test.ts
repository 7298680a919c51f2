import { ApiObject, Chart, Testing } from 'cdk8s';
import { k8s } from '../imports/k8s';
import { K8sSchema } from './support/k8s-schema';

// imports/k8s re-exports cdk8s-plus-27's generated classes: prove they are the 1.27 API.
test('the imported classes we use map to kinds the Kubernetes 1.27 schema serves', () => {
  const schema = K8sSchema.load('1.27.0');
  for (const Class of [
    k8s.KubePodDisruptionBudget,
    k8s.KubeNetworkPolicy,
    k8s.KubeHorizontalPodAutoscalerV2,
    k8s.KubeRole,
    k8s.KubeRoleBinding,
    k8s.KubeServiceAccount,
    k8s.KubeStatefulSet,
  ]) {
    const gvk = (Class as unknown as { GVK: { apiVersion: string; kind: string } }).GVK;
    expect([gvk.kind, schema.serves(gvk.apiVersion, gvk.kind)]).toEqual([gvk.kind, true]);
  }
  const chart = new Chart(Testing.app(), 'c');
  const pdb = new k8s.KubePodDisruptionBudget(chart, 'p', { spec: { maxUnavailable: k8s.IntOrString.fromNumber(1) } });
  expect(schema.validate(ApiObject.of(pdb).toJson())).toEqual([]);
});
