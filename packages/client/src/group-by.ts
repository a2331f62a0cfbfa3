/**
 * `items` in groups of equal `key`, each group in input order, the groups in order of first appearance:
 * how a pool worker splits its batched lease calls per tenant (one `X-Stella-Tenant` per call).
 */
export function groupBy<T>(items: readonly T[], key: (item: T) => unknown): T[][] {
  const groups = new Map<unknown, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return [...groups.values()];
}
