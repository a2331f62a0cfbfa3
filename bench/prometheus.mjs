// Reading a histogram from the server's `GET /metrics` text and its quantiles, as Prometheus's
// `histogram_quantile` computes them (linear interpolation inside the bucket the rank falls in).

/**
 * One histogram: its cumulative buckets in ascending order of upper bound (the last is `+Inf`), the sum
 * and the count of its observations. Series of the same name with different labels are added up.
 * @typedef {object} Histogram
 * @property {{ le: number, count: number }[]} buckets - cumulative counts, `le` ascending, last `Infinity`
 * @property {number} sum
 * @property {number} count
 */

/**
 * The histogram `name` of a Prometheus text exposition, or null when it has no `_bucket` line.
 * @param {string} text - the body of `GET /metrics`
 * @param {string} name - such as `stella_orch_lease_grant_duration_seconds`
 * @returns {Histogram | null}
 */
export function parseHistogram(text, name) {
  /** @type {Map<number, number>} */
  const byBound = new Map();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    const match = /^(_bucket|_sum|_count)(?:\{([^}]*)\})?\s+(\S+)/.exec(rest);
    if (match === null) continue;
    const value = Number(match[3]);
    if (match[1] === '_sum') sum += value;
    else if (match[1] === '_count') count += value;
    else {
      const le = /(?:^|,)le="([^"]*)"/.exec(match[2] ?? '')?.[1];
      if (le === undefined) continue;
      const bound = le === '+Inf' ? Infinity : Number(le);
      byBound.set(bound, (byBound.get(bound) ?? 0) + value);
    }
  }
  if (byBound.size === 0) return null;
  const buckets = [...byBound].map(([le, n]) => ({ le, count: n })).sort((a, b) => a.le - b.le);
  return { buckets, sum, count };
}

/**
 * The q-quantile (0–1) of a histogram the way PromQL's `histogram_quantile` estimates it: the rank
 * `q × total` falls in the first bucket whose cumulative count reaches it; the value is interpolated
 * linearly between that bucket's lower bound (the previous bucket's upper bound, 0 for the first) and its
 * upper bound. A rank in the `+Inf` bucket gives the highest finite bound; no observations give NaN. So the
 * answer is only as fine as the buckets: it assumes observations spread evenly inside a bucket.
 * @param {number} q
 * @param {readonly { le: number, count: number }[]} buckets - cumulative, ascending, last `+Inf`
 * @returns {number}
 */
export function histogramQuantile(q, buckets) {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (buckets.length < 2 || buckets[buckets.length - 1].le !== Infinity) return Number.NaN;
  const total = buckets[buckets.length - 1].count;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let b = buckets.findIndex((bucket, i) => i < buckets.length - 1 && bucket.count >= rank);
  if (b === -1) b = buckets.length - 1;
  if (b === buckets.length - 1) return buckets[buckets.length - 2].le;
  if (b === 0 && buckets[0].le <= 0) return buckets[0].le;
  const lower = b === 0 ? 0 : buckets[b - 1].le;
  const below = b === 0 ? 0 : buckets[b - 1].count;
  const inBucket = buckets[b].count - below;
  return lower + (buckets[b].le - lower) * ((rank - below) / inBucket);
}
