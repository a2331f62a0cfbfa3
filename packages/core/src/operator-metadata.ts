import type { FieldError } from './errors.js';

/**
 * Why an operator acts, and under which ticket (SPEC §3): the Authority takes them from the token request
 * (`operator_reason`, `operator_ticket`) and a request may give more specific ones
 * (`X-Stella-Operator-Reason`, `X-Stella-Operator-Ticket`). Both land in the audit entry of every
 * operator action.
 */
export interface OperatorMetadata {
  readonly reason?: string;
  readonly ticket?: string;
}

/** The reason/ticket policy of SPEC §3: at most 256 and 128 characters, no control characters. */
export const OPERATOR_METADATA_LIMITS = {
  maxReasonLength: 256,
  maxTicketLength: 128,
} as const;

// C0 controls, DEL and C1 controls: nothing that can break a log line, a header or a terminal.
const CONTROL_CHARACTER = /\p{Cc}/u;
const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/** Characters as PostgreSQL's `char_length` counts them: code points, a surrogate pair being one. */
function codePointCount(value: string): number {
  return value.length - (value.match(SURROGATE_PAIR)?.length ?? 0);
}

/**
 * Checks one reason or ticket value: non-empty, at most `maxLength` characters (Unicode code points), well
 * formed (no lone surrogates) and free of control characters.
 *
 * @returns the problem, or `null` when the value is acceptable
 */
export function operatorTextProblem(value: string, maxLength: number): string | null {
  if (value.length === 0) return 'must not be empty';
  if (!value.isWellFormed()) return 'must be well-formed Unicode text';
  if (codePointCount(value) > maxLength) return `must be at most ${maxLength} characters`;
  if (CONTROL_CHARACTER.test(value)) return 'must not contain control characters';
  return null;
}

/**
 * The field errors of an operator reason and ticket under the policy of SPEC §3. Pure, so that the
 * request-context hook (headers) and the Authority (token requests) apply the same rules.
 *
 * @param metadata - the values to check (absent values are fine)
 * @param paths - the field names to report, such as `header.x-stella-operator-reason`
 */
export function checkOperatorMetadata(
  metadata: { readonly reason?: string | undefined; readonly ticket?: string | undefined },
  paths: { readonly reason: string; readonly ticket: string } = { reason: 'reason', ticket: 'ticket' },
): FieldError[] {
  const errors: FieldError[] = [];
  if (metadata.reason !== undefined) {
    const problem = operatorTextProblem(metadata.reason, OPERATOR_METADATA_LIMITS.maxReasonLength);
    if (problem !== null) errors.push({ path: paths.reason, message: problem });
  }
  if (metadata.ticket !== undefined) {
    const problem = operatorTextProblem(metadata.ticket, OPERATOR_METADATA_LIMITS.maxTicketLength);
    if (problem !== null) errors.push({ path: paths.ticket, message: problem });
  }
  return errors;
}
