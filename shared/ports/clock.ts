/** Wall-clock time. Pure code takes `now` as a parameter; adapters take a Clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to: for tests and for the simulator's compressed time. */
export class FakeClock implements Clock {
  #now: number;

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  set(ms: number): void {
    this.#now = ms;
  }

  advance(ms: number): number {
    this.#now += ms;
    return this.#now;
  }
}

/** Unix seconds (the EID counter and the wire protocol's time unit). */
export function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
