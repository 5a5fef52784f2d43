/**
 * The v1 top-k selection (a Hoare quickselect with a median-of-three pivot, an early-exit member
 * lookup and the chosen offer's rank), kept here ONLY as the baseline of `npm run bench -- offers`.
 * Its running time depends on the scores (the pivots, the exit point), which is why the hub now
 * uses the constant-work selection of hub/offers/core/ranking.ts.
 */

export interface QuickselectSplit {
  readonly threshold: number;
  readonly ties: number;
}

function kthLargest(work: Float64Array, n: number, k: number): number {
  const t = k - 1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const a = work[lo] as number;
    const b = work[(lo + hi) >>> 1] as number;
    const c = work[hi] as number;
    const pivot = a > b ? (b > c ? b : a > c ? c : a) : a > c ? a : b > c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((work[i] as number) > pivot) i++;
      while ((work[j] as number) < pivot) j--;
      if (i <= j) {
        const tmp = work[i] as number;
        work[i] = work[j] as number;
        work[j] = tmp;
        i++;
        j--;
      }
    }
    if (t <= j) hi = j;
    else if (t >= i) lo = i;
    else break;
  }
  return work[t] as number;
}

export function quickselectTopK(scores: Float64Array, n: number, k: number, work: Float64Array): QuickselectSplit {
  work.set(n === scores.length ? scores : scores.subarray(0, n));
  const threshold = kthLargest(work, n, k);
  let above = 0;
  for (let x = 0; x < k - 1; x++) if ((work[x] as number) > threshold) above++;
  return { threshold, ties: k - above };
}

export function quickselectMemberAt(
  scores: Float64Array,
  n: number,
  split: QuickselectSplit,
  slot: number,
  top: boolean,
): number {
  let seen = 0;
  let ties = 0;
  for (let x = 0; x < n; x++) {
    const s = scores[x] as number;
    let inTop = s > split.threshold;
    if (!inTop && s === split.threshold) inTop = ties++ < split.ties;
    if (inTop === top && ++seen === slot) return x;
  }
  return -1;
}

export function quickselectRank(scores: Float64Array, x: number, n: number): number {
  const sx = scores[x] as number;
  let rank = 1;
  for (let y = 0; y < n; y++) {
    const sy = scores[y] as number;
    if (sy > sx || (sy === sx && y < x)) rank++;
  }
  return rank;
}
