/**
 * The data-bearing parts of an alert expression. An alert's condition is usually false when the test looks
 * (nothing is wrong), so querying the whole expression proves little: an empty answer cannot tell "no alert"
 * from "a metric name is misspelt". Its operands can be queried instead, and each must return series.
 *
 * The expression is split at top-level set operators (`and`, `or`, `unless`, with their `on(…)` /
 * `ignoring(…)`), outer parentheses are removed, a trailing comparison with a number literal
 * (`> 0`, `== 0`, `> bool 14.4`) is dropped, and so are `offset` modifiers (a Prometheus started for a
 * test has no data minutes back; what is checked is that names and labels match real series):
 *
 *     max by (job) (a) > 0 unless on (job) (sum by (job) (increase(b[5m])) > 0)
 *       → ['max by (job) (a)', 'sum by (job) (increase(b[5m]))']
 *     a unless a offset 5m → ['a', 'a']
 *
 * It reads the text of rules as Prometheus prints them (`/api/v1/rules`) or as written; it is no PromQL
 * parser, only enough of one for expressions of this shape.
 */
export function operandsOf(expression: string): string[] {
  const expr = expression.replace(/\s+offset\s+-?(?:\d+(?:ms|[smhdwy]))+/g, '').trim();
  const parts = splitAtSetOperators(expr);
  if (parts.length > 1) return parts.flatMap((part) => operandsOf(part));
  if (wrappedInParentheses(expr)) return operandsOf(expr.slice(1, -1));
  const comparison =
    /^([\s\S]*?)\s*(?:==|!=|>=|<=|>|<)\s*(?:bool\s+)?[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i.exec(expr);
  if (comparison !== null && comparison[1] !== undefined && depthAtEnd(comparison[1]) === 0) {
    return operandsOf(comparison[1]);
  }
  return [expr];
}

/** Calls `visit(index, depth)` for every character outside string literals; depth counts (, { and [. */
function scan(text: string, visit: (index: number, depth: number) => void): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      quote = c;
      continue;
    }
    if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') depth--;
    else visit(i, depth);
  }
  return depth;
}

function depthAtEnd(text: string): number {
  return scan(text, () => {
    // the depth at the end is all that is wanted
  });
}

/** Whether the first parenthesis closes at the last character. */
function wrappedInParentheses(expr: string): boolean {
  if (!expr.startsWith('(') || !expr.endsWith(')')) return false;
  let closesEarly = false;
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0 && i < expr.length - 1) closesEarly = true;
    }
  }
  return !closesEarly;
}

const SET_OPERATOR = /^(?:and|or|unless)(?=[\s(])/;
const MATCHING = /^\s*(?:on|ignoring)\s*\([^)]*\)\s*/;

function splitAtSetOperators(expr: string): string[] {
  const parts: string[] = [];
  let start = 0;
  scan(expr, (i, depth) => {
    if (depth !== 0) return;
    const before = i === 0 ? ' ' : expr[i - 1]!;
    if (!/[\s)]/.test(before)) return;
    const match = SET_OPERATOR.exec(expr.slice(i));
    if (match === null) return;
    parts.push(expr.slice(start, i));
    start = i + match[0].length;
    const matching = MATCHING.exec(expr.slice(start));
    if (matching !== null) start += matching[0].length;
  });
  parts.push(expr.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}
