import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import { AppError } from '../../shared/errors.ts';
import { compileValidator, formatProblems } from '../../shared/validation.ts';
import type { BudgetPeriodUnit } from '../../shared/time/local-calendar.ts';
import { openHubDatabase, type Database } from '../../hub/storage/mod.ts';
import { createSqliteBudgetLedger, type BudgetLedger } from '../../hub/privacy/mod.ts';
import { enrollShopper } from '../../hub/shoppers/mod.ts';
import {
  createOfferService,
  OffersSection,
  offersConfigProblems,
  type OffersConfig,
  type OfferService,
  type OfferStep,
} from '../../hub/offers/mod.ts';

/**
 * The hub's offers feature on its own, for the offers attack and the ledger tests: a real,
 * migrated hub database (in memory unless a file is named), the hub's one budget ledger, the
 * production OfferService (the same decision, sticky draws, guards and transaction the hub runs),
 * a FakeClock to drive time and the RandomSource the caller chooses. Shoppers are enrolled and
 * zone entries emitted as the presence service would.
 */

export interface OffersHarness {
  readonly db: Database;
  readonly offers: OfferService;
  readonly ledger: BudgetLedger;
  readonly clock: FakeClock;
  /** Enrolls a consenting shopper; returns their pk. */
  enroll(): number;
  /** One zone entry of shopper `pk` now (a new visit); the decision's record, or null. */
  enter(pk: number, zone: string): ReturnType<OfferService['onZoneEnter']>;
  close(): void;
}

export interface OffersHarnessOptions {
  /** The `offers` section (defaults filled in by the schema). */
  offers?: Record<string, unknown>;
  timeZone?: string;
  period?: BudgetPeriodUnit;
  startMs: number;
  random: RandomSource;
  file?: string;
  checkpoint?: (step: OfferStep, shopperPk: number) => void;
}

const validate = compileValidator<OffersConfig>(OffersSection, { useDefaults: true });

/** The offers config section with the schema's defaults and the hub's semantic checks. */
export function offersConfig(document: Record<string, unknown> = {}): OffersConfig {
  const checked = validate(structuredClone(document));
  const problems = checked.ok
    ? offersConfigProblems({ offers: checked.value })
    : checked.problems.map((p) => ({ path: `/offers${p.path}`, message: p.message }));
  if (!checked.ok || problems.length > 0)
    throw new AppError('CFG_INVALID', formatProblems(problems).join('; '), { details: { problems } });
  return checked.value;
}

export function openOffersHarness(options: OffersHarnessOptions): OffersHarness {
  const db = openHubDatabase(options.file ?? ':memory:');
  const clock = new FakeClock(options.startMs);
  const ledger = createSqliteBudgetLedger(db);
  const offers = createOfferService({
    db,
    config: offersConfig(options.offers),
    timeZone: options.timeZone ?? 'UTC',
    budgetPeriod: options.period ?? 'quarter',
    ledger,
    clock,
    random: options.random,
    logger: silentLogger(),
    resolvePath: (path) => path,
    ...(options.checkpoint !== undefined ? { checkpoint: options.checkpoint } : {}),
  });
  offers.start();
  return {
    db,
    offers,
    ledger,
    clock,
    enroll() {
      const { shopper } = enrollShopper(
        db,
        { exponent: 9, consent: { presenceForOffers: true, analytics: true } },
        { random: options.random, nowMs: clock.now() },
      );
      return shopper.pk;
    },
    enter(pk, zone) {
      const at = Math.floor(clock.now() / 1000);
      return offers.onZoneEnter({ shopperPk: pk, shopperId: '', zone, previousZone: null, at, visitStartedAt: at });
    },
    close() {
      offers.stop();
      db.close();
    },
  };
}
