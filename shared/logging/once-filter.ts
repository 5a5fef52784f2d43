/**
 * "Log once": true the first time a key is seen, false afterwards. Bounded: past `maxKeys`
 * the memory is cleared and keys may be reported again (a refusal storm from ever-new client
 * ids must not grow memory without limit).
 */
export interface OnceFilter {
  first(key: string): boolean;
  readonly size: number;
}

export function createOnceFilter(maxKeys = 10_000): OnceFilter {
  let seen = new Set<string>();
  return {
    first(key: string): boolean {
      if (seen.has(key)) return false;
      if (seen.size >= maxKeys) seen = new Set();
      seen.add(key);
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}
