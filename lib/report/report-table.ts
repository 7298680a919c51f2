import { ComponentReport, FailureDomainReport, Separation } from './failure-domains';

/** Plain-text rendering of a {@link FailureDomainReport}: a table, then the findings that explain it. */

function replicasText(c: ComponentReport): string {
  return c.replicas.autoscaled ? `${c.replicas.min}..${c.replicas.max} (HPA)` : String(c.replicas.min);
}

function haModeText(c: ComponentReport): string {
  switch (c.haMode) {
    case 'quorum':
      return `quorum (majority ${c.majority})`;
    case 'singleton':
    case 'partition':
      return `${c.haMode} (by design)`;
    default:
      return c.haMode;
  }
}

function budgetText(c: ComponentReport): string {
  if (c.budgets.length === 0) return 'none';
  if (c.budgets.length > 1) return `${c.budgets.length} budgets!`;
  return c.budgets[0].rule;
}

function spreadText(node: Separation, zone: Separation): string {
  return `${node} / ${zone}`;
}

const STATUS: Record<ComponentReport['status'], string> = { ok: 'ok', 'by-design': 'BY DESIGN', fail: 'FAIL' };

/** Lays rows out in columns of the widest cell. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}

/** The report of one environment as text: table, failures, by-design singletons, warnings. */
export function renderReport(environment: string, report: FailureDomainReport): string {
  const header = ['COMPONENT', 'KIND', 'REPLICAS', 'HA MODE', 'PDB', 'SPREAD node/zone', 'NODE LOSS', 'ZONE LOSS', 'DRAIN', 'STATUS'];
  const rows = report.components.map((c) => [
    c.name,
    c.kind,
    replicasText(c),
    haModeText(c),
    budgetText(c),
    spreadText(c.spread.node, c.spread.zone),
    c.survives.nodeLoss.outcome,
    c.survives.zoneLoss.outcome,
    c.survives.rollingDrain.outcome,
    STATUS[c.status],
  ]);
  const lines = [`== ${environment}: ${report.components.length} workloads`, table([header, ...rows]), ''];
  const grouped = new Map<string, string[]>();
  const add = (text: string, name: string) => grouped.set(text, [...(grouped.get(text) ?? []), name]);
  for (const c of report.components.filter((x) => x.status === 'fail')) add(`FAIL       %s: does not survive a node loss: ${c.survives.nodeLoss.why}`, c.name);
  for (const c of report.components.filter((x) => x.status === 'by-design')) add(`BY DESIGN  %s: ${c.byDesign}; ${c.survives.nodeLoss.why}`, c.name);
  for (const c of report.components) for (const warning of c.warnings) add(`WARN       %s: ${warning}`, c.name);
  // Identical findings are listed once with every component they concern.
  for (const [text, names] of grouped) lines.push(text.replace('%s', names.join(', ')));
  const byDesign = report.components.filter((c) => c.status === 'by-design');
  const partitions = byDesign.filter((c) => c.haMode === 'partition').length;
  const singletons = byDesign.length - partitions;
  const exceptions = [singletons > 0 ? `${singletons} by-design singleton(s)` : '', partitions > 0 ? `${partitions} sensor partition workload(s)` : '']
    .filter(Boolean)
    .join(' and ');
  lines.push(
    report.failures.length === 0
      ? `every workload survives a node loss${exceptions ? `, except ${exceptions}` : ''}`
      : `${report.failures.length} workload(s) do not survive a node loss: ${report.failures.join(', ')}`,
  );
  return lines.join('\n');
}
