import type { ServerResponse } from 'node:http';

/**
 * Server-sent event streams per shopper (text/event-stream, WHATWG HTML §9.2): each event is
 * `id: <n>` / `event: <name>` / `data: <json>` and a blank line; a comment line every
 * keep-alive interval keeps proxies and the phone's connection from timing the stream out.
 * A client that reconnects sends Last-Event-ID and gets what it missed (the caller replays).
 */

export interface SseEvent {
  readonly id: number;
  readonly event: string;
  readonly data: unknown;
}

export interface SseChannels {
  /** Takes over `res` (head already written) for shopper `pk`; sends `replay` first. */
  open(pk: number, res: ServerResponse, replay: readonly SseEvent[]): void;
  /** Sends to every open stream of the shopper; returns how many streams got it. */
  publish(pk: number, event: SseEvent): number;
  /** True when the shopper has an open stream (so an event is worth building). */
  listening(pk: number): boolean;
  /** Ends the shopper's streams (erasure, consent withdrawn). */
  close(pk: number): void;
  /** Number of open streams. */
  count(): number;
  start(): void;
  stop(): void;
}

export function formatEvent(event: SseEvent): string {
  return `id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export function createSseChannels(options: { keepAliveMs: number; retryMs?: number }): SseChannels {
  const streams = new Map<number, Set<ServerResponse>>();
  let timer: NodeJS.Timeout | null = null;

  const remove = (pk: number, res: ServerResponse): void => {
    const set = streams.get(pk);
    if (set === undefined) return;
    set.delete(res);
    if (set.size === 0) streams.delete(pk);
  };

  return {
    open(pk, res, replay) {
      let set = streams.get(pk);
      if (set === undefined) streams.set(pk, (set = new Set()));
      set.add(res);
      res.on('close', () => remove(pk, res));
      res.write(`retry: ${options.retryMs ?? 5000}\n: hushpoint offers\n\n`);
      for (const event of replay) res.write(formatEvent(event));
    },
    publish(pk, event) {
      const set = streams.get(pk);
      if (set === undefined) return 0;
      const text = formatEvent(event);
      for (const res of set) res.write(text);
      return set.size;
    },
    listening: (pk) => (streams.get(pk)?.size ?? 0) > 0,
    close(pk) {
      const set = streams.get(pk);
      if (set === undefined) return;
      streams.delete(pk);
      for (const res of set) res.end();
    },
    count() {
      let n = 0;
      for (const set of streams.values()) n += set.size;
      return n;
    },
    start() {
      if (timer !== null) return;
      timer = setInterval(() => {
        for (const set of streams.values()) for (const res of set) res.write(': keep-alive\n\n');
      }, options.keepAliveMs);
      timer.unref();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      for (const pk of [...streams.keys()]) this.close(pk);
    },
  };
}
