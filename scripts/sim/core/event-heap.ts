/**
 * A binary min-heap of items ordered by `next` (ms), ties broken by `order` so the simulation is
 * deterministic. The simulator keeps every advertiser in it and pops the earliest transmission.
 */
export interface Scheduled {
  next: number;
  readonly order: number;
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.next < b.next || (a.next === b.next && a.order < b.order);
}

export class EventHeap<T extends Scheduled> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!before(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns the earliest item. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top !== undefined && last !== undefined && items.length > 0) {
      items[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  /** Call after the earliest item's `next` grew: restores the heap order. */
  updateTop(): void {
    if (this.#items.length > 0) this.#siftDown(0);
  }

  #siftDown(start: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[start] as T;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(items[r] as T, items[l] as T)) c = r;
      const child = items[c] as T;
      if (!before(child, item)) break;
      items[i] = child;
      i = c;
    }
    items[i] = item;
  }
}
