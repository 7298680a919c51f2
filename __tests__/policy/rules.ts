/**
 * The policy rules the suite checks, as small assertions over parsed manifests: the Pod
 * Security Standards (baseline everywhere, restricted except for the documented
 * exceptions) and the kube-score / kube-linter / Polaris checks that matter here. None of
 * those tools installs offline, so each rule is written out; every rule has a negative
 * test in policy.test.ts on a deliberately broken copy.
 */
import { selects } from '../../lib/report/failure-domains';
import { podSecurityLevel, SecurityRule } from '../../lib/policy/pod-security';
import { profileNamed } from '../../lib/common/component-profile';
import { COMPONENT_PROFILES } from '../../lib/stackstorm-ha';
import { K8sObject, podTemplates } from '../support/synth';

export interface Violation {
  readonly rule: string;
  readonly object: string;
  readonly detail: string;
}

export interface PolicyRule {
  readonly id: string;
  readonly description: string;
  readonly check: (objects: readonly K8sObject[]) => Violation[];
}

const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
const NAME = 'app.kubernetes.io/name';

interface Pod {
  readonly object: K8sObject;
  readonly labels: Record<string, string>;
  readonly spec: any;
  /** Init and main containers, each with whether it is an init container. */
  readonly containers: { readonly c: any; readonly init: boolean }[];
}

function pods(objects: readonly K8sObject[]): Pod[] {
  return podTemplates(objects).map(({ object, template }) => ({
    object,
    labels: template.metadata?.labels ?? {},
    spec: template.spec,
    containers: [
      ...(template.spec.initContainers ?? []).map((c: any) => ({ c, init: true })),
      ...template.spec.containers.map((c: any) => ({ c, init: false })),
    ],
  }));
}

const exceptionOf = (name: string) => profileNamed(COMPONENT_PROFILES, name)?.securityException;
const excepted = (pod: Pod, rule: SecurityRule) => exceptionOf(pod.labels[NAME])?.rules.includes(rule) ?? false;
const workloads = (objects: readonly K8sObject[]) => objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
/**
 * The replicas a workload keeps at least: an autoscaled one (spec.replicas left out so GitOps
 * never fights the HorizontalPodAutoscaler) has its autoscaler's minReplicas.
 */
const replicas = (o: K8sObject, objects: readonly K8sObject[]) => {
  const hpa = objects.find(
    (h) => h.kind === 'HorizontalPodAutoscaler' && h.spec.scaleTargetRef?.kind === o.kind && h.spec.scaleTargetRef?.name === o.metadata.name,
  );
  return hpa ? (hpa.spec.minReplicas ?? 1) : (o.spec.replicas ?? 1);
};

function rule(id: string, description: string, check: (objects: readonly K8sObject[], add: (o: K8sObject, detail: string) => void) => void): PolicyRule {
  return {
    id,
    description,
    check: (objects) => {
      const violations: Violation[] = [];
      check(objects, (o, detail) => violations.push({ rule: id, object: `${o.kind}/${o.metadata.name}`, detail }));
      return violations;
    },
  };
}

/** Capabilities Pod Security "baseline" lets a container add. */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
/** Volume types Pod Security "restricted" allows. */
const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY/i;

export const RULES: readonly PolicyRule[] = [
  rule(
    'pss-baseline',
    'Pod Security baseline: no host namespaces, hostPath, hostPort, privileged, extra capabilities or unconfined profiles',
    (objects, add) => {
      for (const pod of pods(objects)) {
        for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod.spec[field]) add(pod.object, `${field}: true`);
        for (const volume of pod.spec.volumes ?? []) if (volume.hostPath) add(pod.object, `hostPath volume ${volume.name}`);
        if (pod.spec.securityContext?.seccompProfile?.type === 'Unconfined') add(pod.object, 'pod seccomp Unconfined');
        for (const { c } of pod.containers) {
          const sc = c.securityContext ?? {};
          if (sc.privileged) add(pod.object, `${c.name}: privileged`);
          for (const cap of sc.capabilities?.add ?? []) if (!BASELINE_CAPABILITIES.has(cap)) add(pod.object, `${c.name}: adds ${cap}`);
          for (const port of c.ports ?? []) if (port.hostPort) add(pod.object, `${c.name}: hostPort ${port.hostPort}`);
          if (sc.seccompProfile?.type === 'Unconfined') add(pod.object, `${c.name}: seccomp Unconfined`);
          if (sc.procMount && sc.procMount !== 'Default') add(pod.object, `${c.name}: procMount ${sc.procMount}`);
        }
      }
    },
  ),
  rule(
    'pss-restricted',
    'Pod Security restricted, outside the documented exceptions: non-root, no escalation, seccomp, drop ALL, restricted volume types',
    (objects, add) => {
      for (const pod of pods(objects)) {
        const podSc = pod.spec.securityContext ?? {};
        const podSeccomp = ['RuntimeDefault', 'Localhost'].includes(podSc.seccompProfile?.type);
        for (const volume of pod.spec.volumes ?? []) {
          const type = Object.keys(volume).find((key) => key !== 'name');
          if (!RESTRICTED_VOLUMES.includes(type ?? '')) add(pod.object, `volume ${volume.name} of type ${type}`);
        }
        if (!excepted(pod, 'runAsNonRoot') && podSc.runAsUser === 0) add(pod.object, 'pod runAsUser 0');
        for (const { c } of pod.containers) {
          const sc = c.securityContext ?? {};
          if (sc.allowPrivilegeEscalation !== false) add(pod.object, `${c.name}: allowPrivilegeEscalation not false`);
          if (!podSeccomp && !['RuntimeDefault', 'Localhost'].includes(sc.seccompProfile?.type)) add(pod.object, `${c.name}: no seccomp profile`);
          if (!excepted(pod, 'runAsNonRoot')) {
            // The container's setting wins; the pod's applies when the container sets none.
            if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) add(pod.object, `${c.name}: runAsNonRoot not true`);
            if ((sc.runAsUser ?? podSc.runAsUser) === 0) add(pod.object, `${c.name}: runs as UID 0`);
          }
          if (!excepted(pod, 'capabilities')) {
            if (!(sc.capabilities?.drop ?? []).includes('ALL')) add(pod.object, `${c.name}: does not drop ALL capabilities`);
            for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') add(pod.object, `${c.name}: adds ${cap}`);
          }
        }
      }
    },
  ),
  rule('namespace-pod-security', 'the Namespace enforces (and audits, warns) the level every deployed pod meets', (objects, add) => {
    const level = podSecurityLevel(pods(objects).map((pod) => profileNamed(COMPONENT_PROFILES, pod.labels[NAME])));
    for (const namespace of objects.filter((o) => o.kind === 'Namespace')) {
      for (const mode of ['enforce', 'audit', 'warn']) {
        const value = namespace.metadata.labels?.[`pod-security.kubernetes.io/${mode}`];
        if (value !== level) add(namespace, `${mode} is ${value}, the pods meet ${level}`);
      }
    }
  }),
  rule('read-only-root-filesystem', 'every container has a read-only root filesystem unless documented', (objects, add) => {
    for (const pod of pods(objects)) {
      if (excepted(pod, 'readOnlyRootFilesystem')) continue;
      for (const { c } of pod.containers) if (c.securityContext?.readOnlyRootFilesystem !== true) add(pod.object, `${c.name}: writable root filesystem`);
    }
  }),
  rule('service-account-token', 'no API token is mounted unless the pod runs as its own ServiceAccount', (objects, add) => {
    for (const pod of pods(objects)) {
      const account = pod.spec.serviceAccountName;
      if (pod.spec.automountServiceAccountToken !== false && (!account || account === 'default')) add(pod.object, "mounts the default account's token");
    }
  }),
  rule(
    'pdb',
    'every workload with 2+ replicas has exactly one PodDisruptionBudget that permits an eviction and sets unhealthyPodEvictionPolicy',
    (objects, add) => {
      const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
      for (const workload of workloads(objects)) {
        const count = replicas(workload, objects);
        const labels = workload.spec.template.metadata.labels;
        const mine = budgets.filter((pdb) => selects(pdb.spec.selector, labels));
        if (count < 2) {
          if (mine.length > 0) add(workload, `a budget on ${count} replica blocks every drain`);
          continue;
        }
        if (mine.length !== 1) {
          add(workload, `${mine.length} budgets select its pods`);
          continue;
        }
        const spec = mine[0].spec;
        const allowed = spec.maxUnavailable !== undefined ? Number(spec.maxUnavailable) : count - Number(spec.minAvailable);
        if (!(allowed >= 1)) add(workload, `${id(mine[0])} allows no eviction`);
        if (!spec.unhealthyPodEvictionPolicy) add(workload, `${id(mine[0])} leaves unhealthyPodEvictionPolicy unset`);
      }
    },
  ),
  rule('spread', 'every workload with 2+ replicas spreads over kubernetes.io/hostname (spread constraint or anti-affinity)', (objects, add) => {
    for (const workload of workloads(objects)) {
      if (replicas(workload, objects) < 2) continue;
      const spec = workload.spec.template.spec;
      const labels = workload.spec.template.metadata.labels;
      const spread = (spec.topologySpreadConstraints ?? []).some((c: any) => c.topologyKey === 'kubernetes.io/hostname' && selects(c.labelSelector, labels));
      const anti = [
        ...(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
        ...(spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p: any) => p.podAffinityTerm),
      ].some((term: any) => term.topologyKey === 'kubernetes.io/hostname' && selects(term.labelSelector, labels));
      if (!spread && !anti) add(workload, 'no hostname spread or anti-affinity');
    }
  }),
  // Processes no Service targets (st2's queue consumers) have no port to probe: they exit
  // when they lose MongoDB or RabbitMQ and the kubelet restarts them (st2-facts.md).
  // A Service without ports (a headless one that only names a StatefulSet's pods) routes no traffic.
  rule('probes', 'readiness and a different liveness on every pod a Service routes traffic to, startup on MongoDB and RabbitMQ', (objects, add) => {
    const services = objects.filter((o) => o.kind === 'Service' && o.spec.selector && (o.spec.ports ?? []).length > 0);
    for (const pod of pods(objects)) {
      const targeted = services.some((service) => selects({ matchLabels: service.spec.selector }, pod.labels));
      for (const { c, init } of pod.containers) {
        if (init) continue;
        if (targeted && !c.readinessProbe) add(pod.object, `${c.name}: a Service targets it but it has no readiness probe`);
        if (targeted && !c.livenessProbe) add(pod.object, `${c.name}: a Service targets it but it has no liveness probe`);
        if (c.livenessProbe && c.readinessProbe && JSON.stringify(c.livenessProbe) === JSON.stringify(c.readinessProbe))
          add(pod.object, `${c.name}: liveness identical to readiness`);
      }
      if (['mongodb', 'rabbitmq'].includes(pod.labels[NAME]) && pod.object.kind === 'StatefulSet') {
        for (const { c, init } of pod.containers) if (!init && !c.startupProbe) add(pod.object, `${c.name}: slow starter without a startup probe`);
      }
    }
  }),
  rule('resources', 'every container, init containers too, requests CPU and memory and limits memory', (objects, add) => {
    for (const pod of pods(objects)) {
      for (const { c } of pod.containers) {
        const r = c.resources ?? {};
        if (!r.requests?.cpu) add(pod.object, `${c.name}: no CPU request`);
        if (!r.requests?.memory) add(pod.object, `${c.name}: no memory request`);
        if (!r.limits?.memory) add(pod.object, `${c.name}: no memory limit`);
      }
    }
  }),
  rule('image-tag', 'every image is pinned to a tag other than latest', (objects, add) => {
    for (const pod of pods(objects)) {
      for (const { c } of pod.containers) {
        const tag = /:([^/:@]+)$/.exec(c.image)?.[1];
        if (!tag && !c.image.includes('@sha256:')) add(pod.object, `${c.name}: ${c.image} has no tag`);
        if (tag === 'latest') add(pod.object, `${c.name}: ${c.image} is latest`);
      }
    }
  }),
  rule('selectors', 'workload selectors match their pods; every Service and PodDisruptionBudget selects some pod', (objects, add) => {
    const all = pods(objects);
    for (const workload of workloads(objects)) {
      if (!selects(workload.spec.selector, workload.spec.template.metadata.labels)) add(workload, 'selector does not match its own pods');
    }
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      if (!service.spec.selector || !all.some((pod) => selects({ matchLabels: service.spec.selector }, pod.labels))) add(service, 'selects no pod');
    }
    for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
      if (!all.some((pod) => selects(pdb.spec.selector, pod.labels))) add(pdb, 'selects no pod');
    }
  }),
  rule('statefulset-service', 'every StatefulSet names a headless Service that selects its pods', (objects, add) => {
    for (const set of objects.filter((o) => o.kind === 'StatefulSet')) {
      const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === set.spec.serviceName);
      if (!service) add(set, `serviceName ${set.spec.serviceName} names no Service`);
      else if (service.spec.clusterIP !== 'None') add(set, `${id(service)} is not headless`);
      else if (!selects({ matchLabels: service.spec.selector }, set.spec.template.metadata.labels)) add(set, `${id(service)} does not select its pods`);
    }
  }),
  rule('network-policy-selects', 'every NetworkPolicy selects at least one pod', (objects, add) => {
    const all = pods(objects);
    for (const policy of objects.filter((o) => o.kind === 'NetworkPolicy')) {
      if (!all.some((pod) => selects(policy.spec.podSelector, pod.labels))) add(policy, 'selects no pod');
    }
  }),
  rule('network-policy-coverage', 'every pod is selected by an ingress and an egress NetworkPolicy', (objects, add) => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    for (const pod of pods(objects)) {
      for (const type of ['Ingress', 'Egress']) {
        if (!policies.some((p) => (p.spec.policyTypes ?? ['Ingress']).includes(type) && selects(p.spec.podSelector, pod.labels)))
          add(pod.object, `no ${type} policy`);
      }
    }
  }),
  rule('secret-env-literals', 'no env literal under a name that looks like a secret (PASSWORD, SECRET, TOKEN, KEY)', (objects, add) => {
    for (const pod of pods(objects)) {
      for (const { c } of pod.containers) {
        for (const env of c.env ?? []) if (SECRET_NAME.test(env.name) && env.value !== undefined) add(pod.object, `${c.name}: ${env.name} is a literal`);
      }
    }
  }),
];

/** Runs every rule over one environment's objects. */
export function checkPolicies(objects: readonly K8sObject[]): Violation[] {
  return RULES.flatMap((r) => r.check(objects));
}
