/** CoreDNS's request-duration buckets: 0.25 ms doubling, 16 buckets (to about 8 s). */
export const DURATION_BUCKETS: readonly number[] = Array.from({ length: 16 }, (_, n) => 0.00025 * 2 ** n);
