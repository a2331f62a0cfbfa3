import type { JobDag } from '@stella-orch/client';
import { renderTable } from './output.js';

/** A duration in ms, `~` before an estimate. */
function duration(ms: number, estimated: boolean): string {
  return `${estimated ? '~' : ''}${ms.toLocaleString('en-US')} ms`;
}

/**
 * A dependency graph as a table in topological order — group (level), job, type, status, duration, the
 * parents it waits for, `*` on the critical path — then the critical path itself.
 */
export function renderDag(dag: JobDag): string {
  if (dag.nodes.length === 0) return 'No jobs.';
  const byId = new Map(dag.nodes.map((n) => [n.jobId, n]));
  const groupOf = new Map<string, number>();
  dag.parallelGroups.forEach((group, level) => {
    for (const id of group) groupOf.set(id, level);
  });
  const parentsOf = new Map<string, string[]>();
  for (const { from, to } of dag.edges) parentsOf.set(to, [...(parentsOf.get(to) ?? []), from]);
  const critical = new Set(dag.criticalPath.jobIds);
  const table = renderTable(
    ['GROUP', 'JOB ID', 'TYPE', 'STATUS', 'DURATION', 'DEPENDS ON', 'CRITICAL'],
    dag.topologicalOrder.map((id) => {
      const node = byId.get(id);
      return [
        String(groupOf.get(id) ?? '-'),
        id,
        node?.jobType ?? '-',
        node?.status ?? '-',
        node === undefined ? '-' : duration(node.durationMs, node.durationEstimated),
        (parentsOf.get(id) ?? []).map((p) => p.slice(0, 8)).join(' ') || '-',
        critical.has(id) ? '*' : '',
      ];
    }),
  );
  const path = dag.criticalPath;
  const estimated = path.estimatedJobIds.length;
  return (
    `${table}\nCritical path: ${path.jobIds.map((id) => id.slice(0, 8)).join(' → ')} ` +
    `(${duration(path.durationMs, estimated > 0)}` +
    `${estimated > 0 ? `, ${estimated} of ${path.jobIds.length} estimated` : ''}); ` +
    `${dag.nodes.length} jobs, ${dag.parallelGroups.length} groups`
  );
}
