/**
 * When may the presence model close a window? Gateways send each window once it has ended, at
 * their own pace (live, or a replayed trace far from the hub's clock). The watermark is the
 * time up to which every active gateway has delivered: the smallest "latest window end" over
 * gateways that sent something within `staleMs` of hub time. Silent (stale) gateways do not
 * hold it back; when all are silent, everything received so far is final.
 */
export interface GatewayProgress {
  /** Latest window end (Unix s) received from the gateway. */
  windowEnd: number;
  /** Hub time (ms) when it last delivered a batch. */
  receivedMs: number;
}

export function watermark(progress: Iterable<GatewayProgress>, nowMs: number, staleMs: number): number | null {
  let activeMin: number | null = null;
  let overallMax: number | null = null;
  for (const p of progress) {
    overallMax = overallMax === null ? p.windowEnd : Math.max(overallMax, p.windowEnd);
    if (nowMs - p.receivedMs <= staleMs)
      activeMin = activeMin === null ? p.windowEnd : Math.min(activeMin, p.windowEnd);
  }
  return activeMin ?? overallMax;
}
