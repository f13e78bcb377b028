/** CoreDNS's request-duration buckets: 0.25 ms doubling, 16 buckets (to about 8 s). */
export const DURATION_BUCKETS: readonly number[] = Array.from({ length: 16 }, (_, n) => 0.00025 * 2 ** n);

/** CoreDNS's message-size buckets (bytes), for the request and response size histograms. */
export const SIZE_BUCKETS: readonly number[] = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3];
