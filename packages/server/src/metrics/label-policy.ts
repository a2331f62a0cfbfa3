/** The tenant label value of every series when tenant labels are off. */
export const ALL_TENANTS = '_all';

/** The job-type label value of the types seen after the first `maxJobTypeLabels`. */
export const OTHER_JOB_TYPES = '_other';

/**
 * Keeps the label sets of the metrics bounded. Tenants can be folded into one value (`_all`); job types
 * are labelled as they come, first come first served, up to a maximum per process, and every later type
 * is `_other`. (Neither placeholder can be a real id: tenant ids and job types start with a letter or a
 * digit.)
 */
export class LabelPolicy {
  readonly #tenantLabels: boolean;
  readonly #maxJobTypes: number;
  readonly #jobTypes = new Set<string>();

  /** @param options - whether tenants are labelled, and how many distinct job types are */
  constructor(options: { readonly tenantLabels: boolean; readonly maxJobTypeLabels: number }) {
    this.#tenantLabels = options.tenantLabels;
    this.#maxJobTypes = options.maxJobTypeLabels;
  }

  /** The label value of a tenant. */
  tenant(tenantId: string): string {
    return this.#tenantLabels ? tenantId : ALL_TENANTS;
  }

  /** The label value of a job type: itself while there is room, `_other` after that. */
  jobType(jobType: string): string {
    if (this.#jobTypes.has(jobType)) return jobType;
    if (this.#jobTypes.size >= this.#maxJobTypes) return OTHER_JOB_TYPES;
    this.#jobTypes.add(jobType);
    return jobType;
  }
}
