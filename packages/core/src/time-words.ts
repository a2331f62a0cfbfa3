/**
 * A duration in plain words, largest units first, at most two of them: `4m 10s`, `2h 5m`, `3d 1h`,
 * `120ms` under a second, `0s` for none. Negative durations are read as their magnitude.
 */
export function durationInWords(ms: number): string {
  const total = Math.abs(Math.round(ms));
  if (total < 1000) return total === 0 ? '0s' : `${total}ms`;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = total;
  for (const [name, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || parts.length > 0) parts.push(`${count}${name}`);
    if (parts.length === 2) break;
  }
  return parts.filter((p) => !p.startsWith('0')).join(' ');
}

/**
 * An instant relative to `now`, both ISO-8601: `in 4m 10s`, `4m 10s ago`, or `now`.
 */
export function relativeToNow(instant: string, now: string): string {
  const delta = Date.parse(instant) - Date.parse(now);
  if (Number.isNaN(delta)) return instant;
  if (delta === 0) return 'now';
  return delta > 0 ? `in ${durationInWords(delta)}` : `${durationInWords(delta)} ago`;
}

/** `2026-05-01T10:00:00.000Z (in 4m 10s)`: the instant, then how far it is from `now`. */
export function instantInWords(instant: string, now: string): string {
  return `${instant} (${relativeToNow(instant, now)})`;
}
