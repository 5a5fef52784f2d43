import type { Logger } from '../../shared/ports/logger.ts';
import type { SqliteOutbox } from '../adapters/sqlite-outbox.ts';
import type { HubLink } from '../adapters/hub-link.ts';

/**
 * Moves batches from the outbox to the hub: oldest first, QoS 1, at most `maxInFlight`
 * unacknowledged, each deleted from the outbox on its PUBACK. On every new connection it starts
 * again from the oldest batch still stored (a batch whose PUBACK was lost is sent again; the hub
 * deduplicates by (gateway, seq)).
 */
export class Delivery {
  readonly #outbox: SqliteOutbox;
  readonly #link: HubLink;
  readonly #topic: string;
  readonly #log: Logger;
  #maxInFlight: number;
  readonly #inFlight = new Set<number>();
  /** Highest seq handed to the link on this connection. */
  #cursor = -1;
  #generation = 0;
  #acked = 0;

  constructor(options: { outbox: SqliteOutbox; link: HubLink; topic: string; maxInFlight: number; logger: Logger }) {
    this.#outbox = options.outbox;
    this.#link = options.link;
    this.#topic = options.topic;
    this.#maxInFlight = options.maxInFlight;
    this.#log = options.logger;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Batches acknowledged by the hub since start. */
  get acked(): number {
    return this.#acked;
  }

  setMaxInFlight(maxInFlight: number): void {
    this.#maxInFlight = maxInFlight;
    this.kick();
  }

  connected(): void {
    this.#generation++;
    this.#inFlight.clear();
    this.#cursor = -1;
    this.kick();
  }

  disconnected(): void {
    this.#generation++;
    this.#inFlight.clear();
  }

  /** Sends what the in-flight bound allows. Call after a batch is stored or acknowledged. */
  kick(): void {
    while (this.#link.connected && this.#inFlight.size < this.#maxInFlight) {
      const batch = this.#outbox.pending(this.#cursor, this.#maxInFlight - this.#inFlight.size);
      if (batch.length === 0) return;
      for (const entry of batch) this.#send(entry.seq, entry.payload);
    }
  }

  #send(seq: number, payload: Buffer): void {
    const generation = this.#generation;
    this.#inFlight.add(seq);
    this.#cursor = seq;
    this.#link.publish(this.#topic, payload, { qos: 1 }).then(
      () => {
        if (generation !== this.#generation) return;
        this.#inFlight.delete(seq);
        this.#outbox.ack(seq);
        this.#acked++;
        this.kick();
      },
      (error: unknown) => {
        if (generation !== this.#generation) return;
        this.#inFlight.delete(seq);
        this.#log.warn({ seq, code: (error as { code?: string }).code ?? 'error' }, 'batch not acknowledged');
      },
    );
  }
}
