/** Small statistics for the bench's rounds: medians, spreads and ratios (pure functions). */

/** The median of the finite values, or undefined when there are none. */
export function median(values: readonly (number | undefined)[]): number | undefined {
  const v = values
    .filter((x): x is number => x !== undefined && Number.isFinite(x))
    .sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export interface Spread {
  min: number;
  max: number;
  n: number;
}

/** Min and max of the finite values (the per-round spread), or undefined when there are none. */
export function spread(values: readonly (number | undefined)[]): Spread | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  if (v.length === 0) return undefined;
  return { min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/** a ÷ b, or undefined unless both are finite and b is positive. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) {
    return undefined;
  }
  return b > 0 ? a / b : undefined;
}

/** One value per round, keyed by round number. */
export type ByRound = ReadonlyMap<number, number | undefined>;

/**
 * The ratio a ÷ b of each round both have a value in: how far the per-round ratios spread
 * around the ratio of medians.
 */
export function roundRatios(a: ByRound, b: ByRound): number[] {
  const out: number[] = [];
  for (const [round, va] of a) {
    const r = ratio(va, b.get(round));
    if (r !== undefined) out.push(r);
  }
  return out;
}
