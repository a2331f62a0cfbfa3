import { describe, expect, it } from 'vitest';
import { describeJobDag, findDependencyCycle, type DagEdge, type JobGraphNode } from './job-dag.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

/** A node that ran from `start` to `end` (ms after T0), or one not finished (`end` null). */
function node(
  jobId: string,
  options: {
    type?: string;
    start?: number | null;
    end?: number | null;
    status?: JobGraphNode['status'];
  } = {},
): JobGraphNode {
  const end = options.end ?? null;
  return {
    jobId,
    jobType: options.type ?? 'work',
    status: options.status ?? (end === null ? 'waiting' : 'succeeded'),
    runId: null,
    startedAt: options.start === undefined || options.start === null ? null : at(options.start),
    completedAt: end === null ? null : at(end),
  };
}

const edge = (from: string, to: string): DagEdge => ({ from, to });

describe('findDependencyCycle', () => {
  it('finds none in a DAG, however it is ordered', () => {
    expect(findDependencyCycle(['c', 'b', 'a'], [edge('a', 'b'), edge('b', 'c'), edge('a', 'c')])).toBeNull();
    expect(findDependencyCycle([], [])).toBeNull();
  });

  it('names a cycle in edge direction, closed, and a self-dependency as [x, x]', () => {
    const cycle = findDependencyCycle(
      ['a', 'b', 'c', 'd'],
      [edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd')],
    );
    expect(cycle).toHaveLength(4);
    expect(cycle![0]).toBe(cycle![3]);
    const steps = cycle!.slice(0, 3);
    expect(new Set(steps)).toEqual(new Set(['a', 'b', 'c']));
    // Every consecutive pair is an edge.
    for (let i = 0; i < 3; i++) {
      expect([edge('a', 'b'), edge('b', 'c'), edge('c', 'a')]).toContainEqual(
        edge(cycle![i]!, cycle![i + 1]!),
      );
    }
    expect(findDependencyCycle(['x', 'y'], [edge('x', 'x')])).toEqual(['x', 'x']);
  });

  it('finds a cycle behind an acyclic prefix, and handles a 5,000-long chain without recursion', () => {
    const behind = findDependencyCycle(['r', 'p', 'q'], [edge('r', 'p'), edge('p', 'q'), edge('q', 'p')]);
    expect(['p,q,p', 'q,p,q']).toContain(behind!.join());
    const ids = Array.from({ length: 5_000 }, (_, i) => `n${i}`);
    const chain = ids.slice(1).map((id, i) => edge(ids[i]!, id));
    expect(findDependencyCycle(ids, chain)).toBeNull();
    expect(findDependencyCycle(ids, [...chain, edge('n4999', 'n0')])).toHaveLength(5_001);
  });
});

describe('describeJobDag', () => {
  it('orders a diamond topologically, groups it by level and finds the longest path', () => {
    // a(10) → b(100) → d(5); a → c(20) → d
    const dag = describeJobDag({
      nodes: [
        node('d', { start: 200, end: 205 }),
        node('a', { start: 0, end: 10 }),
        node('b', { start: 10, end: 110 }),
        node('c', { start: 10, end: 30 }),
      ],
      edges: [edge('a', 'b'), edge('a', 'c'), edge('b', 'd'), edge('c', 'd')],
    });
    expect(dag.topologicalOrder).toEqual(['a', 'b', 'c', 'd']);
    expect(dag.parallelGroups).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(dag.criticalPath).toEqual({ jobIds: ['a', 'b', 'd'], durationMs: 115, estimatedJobIds: [] });
    expect(dag.nodes.map((n) => [n.jobId, n.durationMs, n.durationEstimated])).toEqual([
      ['d', 5, false],
      ['a', 10, false],
      ['b', 100, false],
      ['c', 20, false],
    ]);
  });

  it('estimates unfinished jobs by the mean of finished jobs of their type, else 0, and says so', () => {
    const dag = describeJobDag({
      nodes: [
        node('s1', { type: 'scan', start: 0, end: 100 }),
        node('s2', { type: 'scan', start: 0, end: 300 }),
        node('s3', { type: 'scan', start: 50, status: 'running' }),
        node('r', { type: 'report' }),
        node('x', { type: 'scan', end: 40, status: 'canceled' }),
      ],
      edges: [edge('s1', 's3'), edge('s3', 'r')],
    });
    const byId = new Map(dag.nodes.map((n) => [n.jobId, n]));
    expect(byId.get('s3')).toMatchObject({ durationMs: 200, durationEstimated: true });
    expect(byId.get('r')).toMatchObject({ durationMs: 0, durationEstimated: true });
    // Canceled before it ran: it takes no time, and that is observed.
    expect(byId.get('x')).toMatchObject({ durationMs: 0, durationEstimated: false });
    expect(dag.criticalPath).toEqual({ jobIds: ['s2'], durationMs: 300, estimatedJobIds: [] });
    const longer = describeJobDag({
      nodes: [...dag.nodes, node('s4', { type: 'scan', start: 0, end: 150 })],
      edges: [edge('s1', 's3'), edge('s3', 'r'), edge('s4', 's1')],
    });
    expect(longer.criticalPath.jobIds).toEqual(['s4', 's1', 's3', 'r']);
    expect(longer.criticalPath.estimatedJobIds).toEqual(['s3', 'r']);
  });

  it('keeps independent jobs in one group, leaves out edges to unknown jobs, and handles empty graphs', () => {
    // A repeated edge counts once in the analysis.
    const dag = describeJobDag({
      nodes: [node('a'), node('b')],
      edges: [edge('outside', 'a'), edge('a', 'b'), edge('a', 'b')],
    });
    expect(dag.edges).toEqual([edge('a', 'b'), edge('a', 'b')]);
    expect(dag.parallelGroups).toEqual([['a'], ['b']]);
    expect(describeJobDag({ nodes: [node('p'), node('q')], edges: [] }).parallelGroups).toEqual([['p', 'q']]);
    expect(describeJobDag({ nodes: [], edges: [] })).toEqual({
      nodes: [],
      edges: [],
      topologicalOrder: [],
      criticalPath: { jobIds: [], durationMs: 0, estimatedJobIds: [] },
      parallelGroups: [],
    });
  });

  it('analyses a 10,000-job graph quickly', () => {
    const nodes = Array.from({ length: 10_000 }, (_, i) => node(`j${i}`, { start: 0, end: i % 7 }));
    const edges = nodes.slice(1).map((n, i) => edge(`j${Math.floor(i / 2)}`, n.jobId));
    const started = performance.now();
    const dag = describeJobDag({ nodes, edges });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(dag.topologicalOrder).toHaveLength(10_000);
    expect(dag.parallelGroups.length).toBe(14);
  });
});
