/**
 * The observer's attacks on one shopper's offers (docs/shopper-api.md#the-attack), pure: from
 * every offer the observer saw (with its day and budget period) and the public policy, guess the
 * shopper's top k. Each attack scores the offers; the guess is the k best scores, ties broken at
 * random, and its recovery is computed exactly in expectation over that tie-break.
 */

export interface Sighting {
  readonly day: number;
  /** The budget period of the day (public: the calendar). */
  readonly period: string;
  readonly offerId: string;
}

export type AttackName = 'frequency' | 'periods' | 'period-mode' | 'openers';

export const ATTACKS: Readonly<Record<AttackName, string>> = {
  frequency: 'the k offers seen most often (the best guess when every visit is a fresh draw)',
  periods: 'the k offers seen in the most budget periods (a re-shown sticky draw counts once per period)',
  'period-mode': "the k offers that were most often a period's most-shown offer (its sticky draw), then by times seen",
  openers:
    "the k offers most often among the first (draws the budget allows per period) + 1 offers of a period — where the period's new draws are — then by times seen",
};

/** What the observer knows of the public policy (the config is public). */
export interface PublicPolicy {
  /** Fresh draws the offer budget allows in one period: ⌊periodEpsilon / ε⌋. */
  readonly drawsPerPeriod: number;
}

/** The attack's score for each offer (higher: more likely in the top k). */
export function attackScores(
  name: AttackName,
  sightings: readonly Sighting[],
  offers: readonly string[],
  policy: PublicPolicy,
): Map<string, number> {
  const scores = new Map(offers.map((id) => [id, 0]));
  const add = (id: string, value: number): void => {
    if (scores.has(id)) scores.set(id, (scores.get(id) as number) + value);
  };
  if (name === 'frequency') {
    for (const s of sightings) add(s.offerId, 1);
    return scores;
  }
  const byPeriod = new Map<string, Map<string, number>>();
  for (const s of sightings) {
    const counts = byPeriod.get(s.period) ?? new Map<string, number>();
    counts.set(s.offerId, (counts.get(s.offerId) ?? 0) + 1);
    byPeriod.set(s.period, counts);
  }
  if (name === 'periods') {
    for (const counts of byPeriod.values()) for (const id of counts.keys()) add(id, 1);
    return scores;
  }
  const big = sightings.length + 1;
  if (name === 'openers') {
    const seen = new Map<string, number>();
    for (const s of sightings) {
      const at = seen.get(s.period) ?? 0;
      if (at <= policy.drawsPerPeriod) add(s.offerId, big);
      seen.set(s.period, at + 1);
      add(s.offerId, 1);
    }
    return scores;
  }
  // period-mode: one vote per period for its most-shown offer(s), split among ties; displays break ties.
  for (const counts of byPeriod.values()) {
    const top = Math.max(...counts.values());
    const modes = [...counts].filter(([, c]) => c === top).map(([id]) => id);
    for (const id of modes) add(id, big / modes.length);
  }
  for (const s of sightings) add(s.offerId, 1);
  return scores;
}

/**
 * |guess ∩ truth| / k in expectation over the random tie-break: the offers scored above the
 * k-th best score are guessed, and the rest of the guess is drawn uniformly from those tied at it.
 */
export function expectedRecovery(scores: ReadonlyMap<string, number>, truth: ReadonlySet<string>, k: number): number {
  const values = [...scores.values()].sort((x, y) => y - x);
  const threshold = values[k - 1] as number;
  let above = 0;
  let aboveTrue = 0;
  let tied = 0;
  let tiedTrue = 0;
  for (const [id, score] of scores) {
    const inTruth = truth.has(id) ? 1 : 0;
    if (score > threshold) {
      above++;
      aboveTrue += inTruth;
    } else if (score === threshold) {
      tied++;
      tiedTrue += inTruth;
    }
  }
  return (aboveTrue + ((k - above) * tiedTrue) / tied) / k;
}
