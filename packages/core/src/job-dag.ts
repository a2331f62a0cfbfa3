import type { JobStatus } from './job-state.js';

/** Bounds of dependency chains (docs/decisions/0014-job-dependencies.md). */
export const DAG_LIMITS = {
  /** Parents one job may name in `dependsOn`. */
  maxDependencies: 100,
  /** Jobs a `GET …/dag` answer may hold; a larger graph is refused `DAG_TOO_LARGE`. */
  maxNodes: 10_000,
} as const;

/** An edge of a dependency graph: `to` depends on `from` (`from` must succeed before `to` runs). */
export interface DagEdge {
  readonly from: string;
  readonly to: string;
}

/** A job of a dependency graph as the ledger reads it. */
export interface JobGraphNode {
  readonly jobId: string;
  readonly jobType: string;
  readonly status: JobStatus;
  readonly runId: string | null;
  /** When the job first ran (first heartbeat) or, failing that, was first leased; `null` if never. */
  readonly startedAt: string | null;
  readonly completedAt: string | null;
}

/** The jobs and edges of a graph read from the ledger, nodes in creation order. */
export interface JobGraph {
  readonly nodes: readonly JobGraphNode[];
  readonly edges: readonly DagEdge[];
}

/** A node of an analysed graph: with the duration the critical path counted for it. */
export interface JobDagNode extends JobGraphNode {
  /** Observed (`completedAt − startedAt`) or, when `durationEstimated`, an estimate. */
  readonly durationMs: number;
  /**
   * Whether `durationMs` is an estimate (the job has not finished): the mean observed duration of the
   * finished jobs of its type in the graph, or 0 when there are none.
   */
  readonly durationEstimated: boolean;
}

/** The longest path of a graph by job durations. */
export interface CriticalPath {
  /** The jobs of the path, parents first; empty for an empty graph. */
  readonly jobIds: readonly string[];
  readonly durationMs: number;
  /** The jobs of the path whose duration is an estimate. */
  readonly estimatedJobIds: readonly string[];
}

/** A dependency graph with its topological order, critical path and parallel groups. */
export interface JobDag {
  readonly nodes: readonly JobDagNode[];
  readonly edges: readonly DagEdge[];
  /** Every job after all of its parents; ties in creation order. */
  readonly topologicalOrder: readonly string[];
  readonly criticalPath: CriticalPath;
  /**
   * Levels: group 0 holds the jobs without parents in the graph, group k the jobs whose parents are all in
   * earlier groups and one in group k − 1. The jobs of one group can run at the same time.
   */
  readonly parallelGroups: readonly (readonly string[])[];
}

/** A node while a graph is analysed: its edges by reference, its level, its longest path. */
interface Vertex {
  readonly id: string;
  /** Position in the caller's node list: creation order, the tie-breaker everywhere. */
  readonly index: number;
  readonly parents: Vertex[];
  readonly children: Vertex[];
  /** Kahn level; `-1` for a node on or behind a cycle. */
  level: number;
}

/** The vertices of `ids`, linked by `edges`; edges naming unknown ids, and repeated edges, left out. */
function linkVertices(ids: readonly string[], edges: readonly DagEdge[]): Vertex[] {
  const vertices = ids.map((id, index): Vertex => ({ id, index, parents: [], children: [], level: -1 }));
  const byId = new Map(vertices.map((v) => [v.id, v]));
  const seen = new Set<string>();
  for (const { from, to } of edges) {
    const parent = byId.get(from);
    const child = byId.get(to);
    const key = `${from}\u0000${to}`;
    if (parent === undefined || child === undefined || seen.has(key)) continue;
    seen.add(key);
    child.parents.push(parent);
    parent.children.push(child);
  }
  return vertices;
}

/**
 * Sets each vertex's level by Kahn's algorithm (one more than its highest parent's) and returns the
 * levels, each in creation order. Vertices on or behind a cycle keep level `-1`.
 */
function assignLevels(vertices: readonly Vertex[]): Vertex[][] {
  const unmet = new Map(vertices.map((v) => [v, v.parents.length]));
  const levels: Vertex[][] = [];
  let frontier = vertices.filter((v) => v.parents.length === 0);
  while (frontier.length > 0) {
    const next: Vertex[] = [];
    for (const vertex of frontier) {
      vertex.level = levels.length;
      for (const child of vertex.children) {
        const left = (unmet.get(child) ?? 0) - 1;
        unmet.set(child, left);
        if (left === 0) next.push(child);
      }
    }
    levels.push(frontier);
    frontier = next.sort((a, b) => a.index - b.index);
  }
  return levels;
}

/**
 * A cycle of the graph, or `null` when it has none. The cycle is listed in edge direction and closed: it
 * starts and ends with the same id (`[a, a]` for a job that depends on itself).
 */
export function findDependencyCycle(ids: readonly string[], edges: readonly DagEdge[]): string[] | null {
  const vertices = linkVertices(ids, edges);
  assignLevels(vertices);
  // Every vertex left without a level has a parent left without one: walking parents must come back.
  let vertex = vertices.find((v) => v.level === -1);
  if (vertex === undefined) return null;
  const walk: Vertex[] = [];
  const walked = new Set<Vertex>();
  while (vertex !== undefined && !walked.has(vertex)) {
    walk.push(vertex);
    walked.add(vertex);
    vertex = vertex.parents.find((p) => p.level === -1);
  }
  if (vertex === undefined) return null;
  const cycle = walk.slice(walk.indexOf(vertex)).reverse();
  return [...cycle, ...cycle.slice(0, 1)].map((v) => v.id);
}

function observedDurationMs(node: JobGraphNode): number | null {
  if (node.completedAt === null) return null;
  // A job that ended before it ever ran (canceled while waiting or pending) takes no time.
  if (node.startedAt === null) return 0;
  return Math.max(0, Date.parse(node.completedAt) - Date.parse(node.startedAt));
}

function withDurations(nodes: readonly JobGraphNode[]): JobDagNode[] {
  const observed = nodes.map(observedDurationMs);
  const totals = new Map<string, { sum: number; count: number }>();
  nodes.forEach((node, i) => {
    const ms = observed[i];
    if (ms === null || ms === undefined || node.startedAt === null) return;
    const total = totals.get(node.jobType) ?? { sum: 0, count: 0 };
    totals.set(node.jobType, { sum: total.sum + ms, count: total.count + 1 });
  });
  return nodes.map((node, i) => {
    const ms = observed[i];
    if (ms !== null && ms !== undefined) return { ...node, durationMs: ms, durationEstimated: false };
    const total = totals.get(node.jobType);
    const estimate = total === undefined ? 0 : Math.round(total.sum / total.count);
    return { ...node, durationMs: estimate, durationEstimated: true };
  });
}

/**
 * Analyses a dependency graph: durations (observed, or estimated for jobs not finished), topological
 * order, parallel groups and the critical path (the path from a job without parents to a job without
 * children with the largest sum of durations; ties go to the path ending, then running, through jobs
 * created earlier). Edges naming jobs outside `graph.nodes` are left out. A graph with a cycle (which the ledger never holds) keeps the jobs on or behind the cycle out
 * of the order, the groups and the path.
 */
export function describeJobDag(graph: JobGraph): JobDag {
  const nodes = withDurations(graph.nodes);
  const vertices = linkVertices(
    nodes.map((n) => n.jobId),
    graph.edges,
  );
  const levels = assignLevels(vertices);
  const order = levels.flat();

  // Longest path ending at each vertex, in topological order: its duration plus its best parent's.
  const best = new Map<Vertex, { readonly ms: number; readonly via: Vertex | null }>();
  const bestMs = (v: Vertex | null): number => (v === null ? 0 : (best.get(v)?.ms ?? 0));
  const better = (a: Vertex, b: Vertex | null): boolean =>
    b === null || bestMs(a) > bestMs(b) || (bestMs(a) === bestMs(b) && a.index < b.index);
  for (const vertex of order) {
    let via: Vertex | null = null;
    for (const parent of vertex.parents) if (better(parent, via)) via = parent;
    best.set(vertex, { ms: (nodes[vertex.index]?.durationMs ?? 0) + bestMs(via), via });
  }
  // The path ends at a job nothing depends on (durations are never negative, so one of those is longest)
  // and, walking back, starts at one without parents.
  let end: Vertex | null = null;
  for (const vertex of order) if (vertex.children.length === 0 && better(vertex, end)) end = vertex;
  const path: Vertex[] = [];
  for (let v = end; v !== null; v = best.get(v)?.via ?? null) path.unshift(v);

  const known = new Set(vertices.map((v) => v.id));
  return {
    nodes,
    edges: graph.edges.filter((e) => known.has(e.from) && known.has(e.to)),
    topologicalOrder: order.map((v) => v.id),
    criticalPath: {
      jobIds: path.map((v) => v.id),
      durationMs: bestMs(end),
      estimatedJobIds: path.filter((v) => nodes[v.index]?.durationEstimated === true).map((v) => v.id),
    },
    parallelGroups: levels.map((level) => level.map((v) => v.id)),
  };
}
