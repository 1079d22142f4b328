// Small helpers shared by the benchmarks: percentiles, rates and a uniform report line.

/** percentile returns the p-th percentile (0..100) of unsorted samples, nearest-rank. */
export function percentile(samples, p) {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** median of numbers. */
export function median(values) {
  return percentile(values, 50);
}

/** perSecond turns a count over elapsed milliseconds into a rate. */
export function perSecond(count, elapsedMs) {
  return (count * 1000) / elapsedMs;
}

/** formatRate prints a rate with thousands separators. */
export function formatRate(rate) {
  return `${Math.round(rate).toLocaleString('en-US')}/s`;
}

/** rssMiB is the process's resident memory in MiB. */
export function rssMiB() {
  return Math.round(process.memoryUsage().rss / 1048576);
}
