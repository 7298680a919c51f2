import { K8sSchema, KUBERNETES_VERSIONS, validateAll } from './support/k8s-schema';

const validService = () => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'st2api', namespace: 'stackstorm' },
  spec: { ports: [{ port: 9101, targetPort: 9101 }], selector: { app: 'st2api' } },
});

describe.each(KUBERNETES_VERSIONS)('Kubernetes %s schema validator', (version) => {
  const schema = K8sSchema.load(version);

  test('accepts a valid object', () => {
    expect(schema.validate(validService())).toEqual([]);
  });

  test('rejects an unknown field', () => {
    const service: any = validService();
    service.spec.portz = [];
    expect(schema.validate(service)).toEqual(['Service/st2api .spec.portz: unknown field']);
  });

  test('rejects a wrong type', () => {
    const service: any = validService();
    service.spec.ports[0].port = '9101';
    expect(schema.validate(service)).toEqual(['Service/st2api .spec.ports[0].port: expected integer, got string "9101"']);
  });

  test('rejects a missing required field', () => {
    const service: any = validService();
    delete service.spec.ports[0].port;
    expect(schema.validate(service)).toEqual(['Service/st2api .spec.ports[0].port: required field missing']);
  });

  test('rejects an API version that does not exist', () => {
    expect(schema.validate({ ...validService(), apiVersion: 'v2' })).toEqual([`Service/st2api: Kubernetes ${version} does not serve v2 Service`]);
    expect(schema.validate({ apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'x' } })).toEqual([
      `PodDisruptionBudget/x: Kubernetes ${version} does not serve policy/v1beta1 PodDisruptionBudget`,
    ]);
  });

  test('rejects an enum value the API does not know, and a wrong int-or-string', () => {
    const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'x' }, spec: { maxUnavailable: true } };
    expect(schema.validate(pdb)).toEqual(['PodDisruptionBudget/x .spec.maxUnavailable: true matches none of string | integer']);
  });

  test('checks nested maps (additionalProperties) by their value type', () => {
    const service: any = validService();
    service.spec.selector.app = 3;
    expect(schema.validate(service)).toEqual(['Service/st2api .spec.selector.app: expected string, got number 3']);
  });
});

test('validateAll reports each version separately', () => {
  const broken: any = validService();
  broken.spec.portz = 1;
  expect(validateAll([broken])).toEqual(['[1.27.0] Service/st2api .spec.portz: unknown field', '[1.36.0] Service/st2api .spec.portz: unknown field']);
});
