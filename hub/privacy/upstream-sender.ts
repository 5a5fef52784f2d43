/**
 * The port the upstream sync sends releases through (adapters: https-sender.ts, mqtt-sender.ts).
 * A sender sends the stored bytes as they are; it never rebuilds a body.
 */
export interface OutgoingRelease {
  readonly releaseId: string;
  readonly kind: string;
  /** The exact bytes stored with the release. */
  readonly body: Buffer;
}

export type SendResult =
  | { readonly ok: true; readonly duplicate: boolean }
  /** permanent: the receiver refused these bytes for good (do not retry); otherwise retry with backoff. */
  | { readonly ok: false; readonly permanent: boolean; readonly message: string; readonly status?: number };

export interface UpstreamSender {
  readonly transport: 'https' | 'mqtt';
  /** Sends one release; `nowMs` dates the attempt (the HTTPS signature's timestamp). Never throws. */
  send(release: OutgoingRelease, nowMs: number): Promise<SendResult>;
  close(): Promise<void>;
}
