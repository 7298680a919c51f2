import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { ComponentReport, evaluateBudget, failureDomainReport, FailureDomainReport, ManifestObject, separation } from '../../lib/report/failure-domains';
import { renderReport } from '../../lib/report/report-table';
import { runScript } from '../support/run-script';
import { find, K8sObject, readDist, synth } from '../support/synth';
import { COMPONENT_PROFILES } from '../../lib/stackstorm-ha';

const ha = readDist('ha');

function component(report: FailureDomainReport, name: string): ComponentReport {
  const found = report.components.find((c) => c.name === name);
  if (!found) throw new Error(`no component ${name} in the report`);
  return found;
}

/** Reports a deep copy of the `ha` objects after `edit` weakened (or strengthened) them. */
function reportAfter(edit: (objects: K8sObject[]) => void): FailureDomainReport {
  const objects = structuredClone(ha);
  edit(objects);
  return failureDomainReport(objects as ManifestObject[], COMPONENT_PROFILES);
}

function withoutObject(objects: K8sObject[], kind: string, name: string): void {
  objects.splice(objects.indexOf(find(objects, kind, name)), 1);
}

function podSpec(objects: K8sObject[], kind: string, name: string): any {
  return find(objects, kind, name).spec.template.spec;
}

describe('failure-domain report of the synthesized ha environment', () => {
  const report = failureDomainReport(ha as ManifestObject[], COMPONENT_PROFILES);

  test('reports every Deployment and StatefulSet; the sensor partition set as partitions, not replicas', () => {
    const workloads = ha
      .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
      .map((o) => o.metadata.name)
      .sort();
    expect(report.components.map((c) => c.name)).toEqual(workloads);
    const sensors = component(report, 'st2sensorcontainer');
    expect(sensors).toMatchObject({
      kind: 'StatefulSet',
      haMode: 'partition',
      status: 'by-design',
      warnings: [],
      replicas: { min: 4, max: 4, autoscaled: false },
    });
    expect(sensors.survives.nodeLoss).toEqual({ outcome: 'no', why: expect.stringContaining('4 partitions, one pod each') });
    expect(sensors.survives.rollingDrain).toEqual({
      outcome: 'no',
      why: 'maxUnavailable 1: a drain stops 1 partition(s) at a time, each until its pod restarts elsewhere',
    });
  });

  test('named sensor partitions: one-replica Deployments, each a partition by design', () => {
    const objects = synth({
      datastores: { coordination: { backend: 'external', externalUrl: 'redis://r:6379' } },
      st2: { sensorContainer: { partitioning: { mode: 'kvstore', nodes: ['east', 'west'] } } },
    });
    const partitions = failureDomainReport(objects as ManifestObject[], COMPONENT_PROFILES).components.filter((c) => c.name.startsWith('st2sensorcontainer-'));
    expect(partitions.map((p) => p.name)).toEqual(['st2sensorcontainer-east', 'st2sensorcontainer-west']);
    for (const partition of partitions) {
      expect(partition).toMatchObject({ kind: 'Deployment', haMode: 'partition', status: 'by-design', replicas: { min: 1, max: 1, autoscaled: false } });
      expect(partition.survives.nodeLoss.outcome).toBe('no');
    }
  });

  test('st2api: 2 replicas, budget of 1, required node spread: node loss yes, drain safe, zone loss not', () => {
    expect(component(report, 'st2api')).toEqual({
      kind: 'Deployment',
      name: 'st2api',
      role: 'api',
      replicas: { min: 2, max: 2, autoscaled: false },
      haMode: 'active-active',
      majority: undefined,
      byDesign: undefined,
      budgets: [{ name: 'st2api', rule: 'maxUnavailable 1', desiredHealthy: 1, allowedDisruptions: 1 }],
      spread: { node: 'required', zone: 'none' },
      survives: {
        nodeLoss: { outcome: 'yes', why: '2 replicas, required one-per-node placement (assumes at least 2 nodes)' },
        zoneLoss: { outcome: 'no', why: '2 replicas but no zone spread: they may all share one zone' },
        rollingDrain: { outcome: 'yes', why: 'maxUnavailable 1: evicts 1 at a time, keeps 1 of 2' },
      },
      status: 'ok',
      warnings: [],
    });
  });

  test('mongodb: a quorum set of 3 whose budget keeps the majority of 2', () => {
    const mongo = component(report, 'mongodb');
    expect(mongo).toMatchObject({
      kind: 'StatefulSet',
      role: 'database',
      haMode: 'quorum',
      majority: 2,
      status: 'ok',
      budgets: [{ name: 'mongodb', rule: 'maxUnavailable 1', desiredHealthy: 2, allowedDisruptions: 1 }],
    });
    expect(mongo.survives.rollingDrain).toEqual({ outcome: 'yes', why: 'maxUnavailable 1: evicts 1 at a time, keeps 2 of 3' });
    for (const name of ['rabbitmq', 'redis']) expect(component(report, name)).toMatchObject({ haMode: 'quorum', majority: 2 });
  });

  test('st2timersengine: a by-design singleton reported honestly as downtime, not as a failure', () => {
    const timers = component(report, 'st2timersengine');
    expect(timers).toMatchObject({ haMode: 'singleton', status: 'by-design', budgets: [], spread: { node: 'none', zone: 'none' } });
    expect(timers.byDesign).toBe('a second copy would fire every timer twice');
    expect(timers.survives.nodeLoss).toEqual({
      outcome: 'no',
      why: 'one replica: restarts elsewhere (downtime ~ 300s eviction delay + reschedule + startup)',
    });
    expect(timers.survives.rollingDrain.outcome).toBe('no');
  });

  test('nothing fails a node loss; the table lists every workload and the by-design singletons', () => {
    expect(report.failures).toEqual([]);
    const text = renderReport('ha', report);
    expect(text.split('\n')[1]).toMatch(/^COMPONENT\s+KIND\s+REPLICAS\s+HA MODE\s+PDB\s+SPREAD node\/zone\s+NODE LOSS\s+ZONE LOSS\s+DRAIN\s+STATUS$/);
    expect(text).toMatch(/^st2api\s+Deployment\s+2\s+active-active\s+maxUnavailable 1\s+required \/ none\s+yes\s+no\s+yes\s+ok$/m);
    expect(text).toMatch(/^BY DESIGN {2}st2timersengine: a second copy would fire every timer twice; one replica/m);
    expect(text).not.toMatch(/^FAIL/m);
    expect(text).toMatch(/every workload survives a node loss, except 2 by-design singleton\(s\) and 1 sensor partition workload\(s\)$/);
  });
});

describe('weakened manifests flip the right verdict', () => {
  test('replicas 1: st2api no longer survives a node loss and fails the report', () => {
    const report = reportAfter((objects) => {
      find(objects, 'Deployment', 'st2api').spec.replicas = 1;
    });
    const api = component(report, 'st2api');
    expect(api).toMatchObject({ haMode: 'single-replica', status: 'fail' });
    expect(api.survives.nodeLoss.outcome).toBe('no');
    // maxUnavailable 1 of 1 lets the only replica go.
    expect(api.survives.rollingDrain).toEqual({ outcome: 'no', why: 'maxUnavailable 1 of 1 lets 1 go at once, below one ready replica' });
    expect(report.failures).toEqual(['st2api']);
    expect(renderReport('weak', report)).toMatch(/^FAIL {7}st2api: does not survive a node loss: one replica: restarts elsewhere/m);
  });

  test('PDB removed: the drain verdict flips, node loss is unchanged', () => {
    const report = reportAfter((objects) => withoutObject(objects, 'PodDisruptionBudget', 'st2api'));
    const api = component(report, 'st2api');
    expect(api.budgets).toEqual([]);
    expect(api.survives.rollingDrain.outcome).toBe('no');
    expect(api.survives.rollingDrain.why).toMatch(/^no PodDisruptionBudget/);
    expect(api.survives.nodeLoss.outcome).toBe('yes');
    expect(api.status).toBe('ok');
  });

  test('PDB minAvailable = replicas: drains are blocked', () => {
    const report = reportAfter((objects) => {
      const spec = find(objects, 'PodDisruptionBudget', 'st2api').spec;
      delete spec.maxUnavailable;
      spec.minAvailable = 2;
    });
    const api = component(report, 'st2api');
    expect(api.budgets).toEqual([{ name: 'st2api', rule: 'minAvailable 2', desiredHealthy: 2, allowedDisruptions: 0 }]);
    expect(api.survives.rollingDrain).toEqual({ outcome: 'blocked', why: 'minAvailable 2 of 2 allows no eviction: every drain of its nodes hangs' });
    expect(api.warnings).toContain(`drain: ${api.survives.rollingDrain.why}`);
  });

  test('spread relaxed to ScheduleAnyway: node loss only likely, with a warning', () => {
    const report = reportAfter((objects) => {
      podSpec(objects, 'Deployment', 'st2api').topologySpreadConstraints[0].whenUnsatisfiable = 'ScheduleAnyway';
    });
    const api = component(report, 'st2api');
    expect(api.spread.node).toBe('preferred');
    expect(api.survives.nodeLoss).toEqual({ outcome: 'likely', why: '2 replicas, node spread is only preferred: the scheduler may co-locate them' });
    expect(api.warnings).toEqual([expect.stringMatching(/^node loss survived only if the scheduler keeps replicas apart/)]);
    expect(report.failures).toEqual([]);
  });

  test('spread removed: replicas may share a node, node loss fails', () => {
    const report = reportAfter((objects) => {
      delete podSpec(objects, 'Deployment', 'st2api').topologySpreadConstraints;
    });
    const api = component(report, 'st2api');
    expect(api.spread).toEqual({ node: 'none', zone: 'none' });
    expect(api.survives.nodeLoss).toEqual({ outcome: 'no', why: '2 replicas but no node spread: they may all share one node' });
    expect(report.failures).toEqual(['st2api']);
  });

  test('quorum PDB maxUnavailable 2 of 3: a drain may take the majority away', () => {
    const report = reportAfter((objects) => {
      find(objects, 'PodDisruptionBudget', 'mongodb').spec.maxUnavailable = 2;
    });
    expect(component(report, 'mongodb').survives.rollingDrain).toEqual({
      outcome: 'no',
      why: 'maxUnavailable 2 of 3 lets 2 go at once, below the majority of 2',
    });
  });

  test('a quorum set of 2 does not survive a node loss: 1 is below its majority', () => {
    const report = reportAfter((objects) => {
      find(objects, 'StatefulSet', 'rabbitmq').spec.replicas = 2;
    });
    expect(component(report, 'rabbitmq').survives.nodeLoss).toEqual({
      outcome: 'no',
      why: '2 members: losing one leaves 1, below the majority of 2',
    });
    expect(report.failures).toEqual(['rabbitmq']);
  });

  test('a spread whose selector matches other pods spreads nothing of this workload', () => {
    const report = reportAfter((objects) => {
      for (const c of podSpec(objects, 'Deployment', 'st2api').topologySpreadConstraints) c.labelSelector.matchLabels['app.kubernetes.io/name'] = 'st2auth';
    });
    expect(component(report, 'st2api').spread.node).toBe('none');
  });

  test('two budgets selecting the same pods block evictions', () => {
    const report = reportAfter((objects) => {
      const copy = structuredClone(find(objects, 'PodDisruptionBudget', 'st2api'));
      copy.metadata.name = 'st2api-extra';
      objects.push(copy);
    });
    expect(component(report, 'st2api').survives.rollingDrain.outcome).toBe('blocked');
  });

  test('a by-design singleton scaled to 2 is warned about', () => {
    const report = reportAfter((objects) => {
      find(objects, 'Deployment', 'st2timersengine').spec.replicas = 2;
    });
    expect(component(report, 'st2timersengine').warnings).toContain('2 replicas of a by-design singleton (a second copy would fire every timer twice)');
  });

  test('a one-replica StatefulSet is not replaced while its node is unreachable', () => {
    const report = reportAfter((objects) => {
      find(objects, 'StatefulSet', 'redis').spec.replicas = 1;
    });
    expect(component(report, 'redis').survives.nodeLoss.why).toMatch(/^one replica: not replaced until the lost node is deleted/);
  });
});

describe('strengthened manifests are recognised', () => {
  test('a required zone spread adds zone loss to the required node spread', () => {
    const report = reportAfter((objects) => {
      const spec = podSpec(objects, 'Deployment', 'st2api');
      spec.topologySpreadConstraints.push({ ...spec.topologySpreadConstraints[0], topologyKey: 'topology.kubernetes.io/zone' });
    });
    const api = component(report, 'st2api');
    expect(api.spread).toEqual({ node: 'required', zone: 'required' });
    expect(api.survives.nodeLoss).toEqual({ outcome: 'yes', why: '2 replicas, required one-per-node placement (assumes at least 2 nodes)' });
    expect(api.survives.zoneLoss.outcome).toBe('yes');
    expect(api.warnings).toEqual([]);
  });

  test('a required spread with maxSkew 2 is only a preference', () => {
    const labels = { 'app.kubernetes.io/name': 'x' };
    const constraint = { topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } };
    expect(separation({ topologySpreadConstraints: [{ ...constraint, maxSkew: 2 }] }, labels, ['kubernetes.io/hostname'])).toBe('preferred');
    expect(separation({ topologySpreadConstraints: [{ ...constraint, maxSkew: 1 }] }, labels, ['kubernetes.io/hostname'])).toBe('required');
  });

  test('pod anti-affinity on hostname counts, required or preferred', () => {
    const term = {
      topologyKey: 'kubernetes.io/hostname',
      labelSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['st2api'] }] },
    };
    const required = reportAfter((objects) => {
      const spec = podSpec(objects, 'Deployment', 'st2api');
      delete spec.topologySpreadConstraints;
      spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } };
    });
    expect(component(required, 'st2api').survives.nodeLoss.outcome).toBe('yes');
    const preferred = reportAfter((objects) => {
      const spec = podSpec(objects, 'Deployment', 'st2api');
      delete spec.topologySpreadConstraints;
      spec.affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } };
    });
    expect(component(preferred, 'st2api').survives.nodeLoss.outcome).toBe('likely');
  });

  test('an HPA gives min..max replicas and the verdicts use the minimum', () => {
    const hpa = (minReplicas: number) =>
      reportAfter((objects) => {
        objects.push({
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'st2api', namespace: find(objects, 'Deployment', 'st2api').metadata.namespace },
          spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'st2api' }, minReplicas, maxReplicas: 6 },
        });
      });
    expect(component(hpa(3), 'st2api').replicas).toEqual({ min: 3, max: 6, autoscaled: true });
    expect(component(hpa(3), 'st2api').survives.nodeLoss.outcome).toBe('yes');
    expect(component(hpa(1), 'st2api').survives.nodeLoss.outcome).toBe('no');
    expect(renderReport('hpa', hpa(3))).toMatch(/^st2api\s+Deployment\s+3\.\.6 \(HPA\)/m);
  });
});

describe('evaluateBudget follows the disruption controller', () => {
  const budget = (spec: object): ManifestObject => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'b' }, spec });
  test.each([
    [{ maxUnavailable: 1 }, 3, 2, 1],
    [{ maxUnavailable: '50%' }, 3, 1, 2], // 1.5 rounds up to 2 unavailable
    [{ minAvailable: '50%' }, 3, 2, 1], // 1.5 rounds up to 2 available
    [{ minAvailable: 3 }, 3, 3, 0],
    [{ maxUnavailable: '100%' }, 2, 0, 2],
    [{}, 2, 1, 1], // neither field: minAvailable defaults to 1
  ])('%j of %i pods keeps %i and allows %i evictions', (spec, replicas, desiredHealthy, allowedDisruptions) => {
    expect(evaluateBudget(budget(spec), replicas)).toMatchObject({ desiredHealthy, allowedDisruptions });
  });
});

describe('scripts/report.ts', () => {
  const run = (...args: string[]) => runScript('scripts/report.ts', args);

  test('prints the ha table and exits 0', () => {
    const result = run('ha');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^== ha: \d+ workloads$/m);
    expect(result.stdout).toMatch(/^st2api\s+Deployment\s+2\s+active-active/m);
  });

  test('exits 1 when a workload does not survive a node loss, 0 with --no-fail, 2 for an unknown environment', () => {
    const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
    try {
      // st2api's objects only: the CLI's exit codes are the point here, and each run
      // parses the whole folder.
      const weak = structuredClone(ha.filter((object) => object.metadata.name === 'st2api'));
      find(weak, 'Deployment', 'st2api').spec.replicas = 1;
      fs.mkdirSync(path.join(dist, 'weak'));
      weak.forEach((object, i) => fs.writeFileSync(path.join(dist, 'weak', `${i}.${object.kind}.${object.metadata.name}.yaml`), stringify(object)));
      const failing = run(`--dist=${dist}`);
      expect(failing.status).toBe(1);
      expect(failing.stdout).toMatch(/^1 workload\(s\) do not survive a node loss: st2api$/m);
      expect(run(`--dist=${dist}`, '--no-fail', 'weak').status).toBe(0);
      const missing = run(`--dist=${dist}`, 'nope');
      expect(missing.status).toBe(2);
      expect(missing.stderr).toMatch(/no synthesized environment nope .* \(found: weak\)/);
    } finally {
      fs.rmSync(dist, { recursive: true, force: true });
    }
  }, 120_000);
});

test('every HA environment survives a node loss; only the documented singletons are by design', () => {
  for (const environment of ['ha', 'ha-zookeeper', 'ha-legacy-mistral']) {
    const report = failureDomainReport(readDist(environment) as ManifestObject[], COMPONENT_PROFILES);
    expect([environment, report.failures]).toEqual([environment, []]);
  }
  const legacy = failureDomainReport(readDist('ha-legacy-mistral') as ManifestObject[], COMPONENT_PROFILES);
  expect(component(legacy, 'st2rulesengine-timers')).toMatchObject({ haMode: 'singleton', status: 'by-design' });
  expect(component(legacy, 'postgresql')).toMatchObject({ haMode: 'singleton', status: 'by-design' });
});
