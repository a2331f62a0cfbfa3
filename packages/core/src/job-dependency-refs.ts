import { OrchestratorError, validationError, type FieldError } from './errors.js';
import { findDependencyCycle, type DagEdge } from './job-dag.js';
import type { JobSubmission } from './job-submission.js';

/**
 * Resolves the `dependsOn` of a batch to job ids: a job id stays as it is (in lower case), a `{ ref }` becomes
 * the id chosen for the batch job with that `ref`. Refs name jobs of the same batch only, before or after
 * the job; a single submission has no other job to name.
 *
 * @param submissions - the batch, in order
 * @param jobIds - the id chosen for each submission
 * @param batch - whether paths are `jobs[i].…` (a batch) or bare (one job)
 * @returns the parent ids of each submission, in the order of its `dependsOn`
 * @throws OrchestratorError `VALIDATION_FAILED` (a ref used twice or naming no job of the batch),
 *   `DEPENDENCY_CYCLE` (refs forming a cycle, a job naming its own ref included; `details.cycle` lists the
 *   refs of the cycle, its first repeated last)
 */
export function resolveDependencyRefs(
  submissions: readonly JobSubmission[],
  jobIds: readonly string[],
  batch: boolean,
): string[][] {
  const prefix = (i: number): string => (batch ? `jobs[${i}].` : '');
  const errors: FieldError[] = [];
  const byRef = new Map<string, number>();
  submissions.forEach((s, i) => {
    if (s.ref === undefined) return;
    const first = byRef.get(s.ref);
    if (first === undefined) byRef.set(s.ref, i);
    else errors.push({ path: `${prefix(i)}ref`, message: `is the ref of jobs[${first}] too` });
  });
  const edges: DagEdge[] = [];
  const resolved = submissions.map((s, i) =>
    (s.dependsOn ?? []).map((dependency, k) => {
      if (typeof dependency === 'string') return dependency.toLowerCase();
      const parent = byRef.get(dependency.ref);
      if (parent === undefined) {
        errors.push({
          path: `${prefix(i)}dependsOn[${k}].ref`,
          message: `names no job of this ${batch ? 'batch' : 'request'}`,
        });
        return '';
      }
      edges.push({ from: String(parent), to: String(i) });
      return jobIds[parent] ?? '';
    }),
  );
  if (errors.length > 0) throw validationError(errors);
  const cycle = findDependencyCycle(
    submissions.map((_, i) => String(i)),
    edges,
  );
  if (cycle !== null) {
    const refs = cycle.map((i) => submissions[Number(i)]?.ref ?? `jobs[${i}]`);
    throw new OrchestratorError('DEPENDENCY_CYCLE', `the dependencies form a cycle: ${refs.join(' → ')}`, {
      details: { cycle: refs },
    });
  }
  return resolved;
}
