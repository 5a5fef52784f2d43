import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { AppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { Problem } from '../../shared/validation.ts';
import {
  buildCatalogIndex,
  parseCatalog,
  parseOffer,
  withPopularity,
  type CatalogIndex,
  type CatalogOffer,
  type RejectedOffer,
} from './core/catalog.ts';
import type { OfferStore } from './adapters/sqlite-offer-store.ts';

/**
 * The live catalog: offers from the YAML file named in the hub config (loaded at start; file
 * offers no longer in the file are retired) and from the admin API (stored in the database,
 * kept across restarts), validated entry by entry, and the public index built from them.
 *
 * The file: valid entries load, each invalid one is logged and listed with its field path and
 * reason (one typo must not take every offer off the shop floor). The admin API is
 * all-or-nothing: a request with any invalid entry changes nothing and answers every problem.
 */

export interface CatalogService {
  /** Reads the catalog file (if configured) and the stored offers; rebuilds the index. */
  load(nowMs: number): { fromFile: number; rejected: number };
  index(): CatalogIndex;
  offers(): readonly CatalogOffer[];
  /** Entries rejected when the file or the stored catalog was last read. */
  rejected(): readonly RejectedOffer[];
  /** Admin: add or replace offers by id (`replace`: the whole catalog). Throws API_BAD_REQUEST listing every problem. */
  apply(document: unknown, options: { replace: boolean; nowMs: number }): { accepted: number };
  remove(id: string): boolean;
  /** Sets the popularity prior (released DP aggregates) and rebuilds the index. */
  setPrior(prior: ((offer: CatalogOffer) => number) | null): void;
}

export interface CatalogServiceDeps {
  store: OfferStore;
  file: string | null;
  classes: readonly string[];
  epsilonMicroByClass: Readonly<Record<string, number>>;
  logger: Logger;
}

export function catalogProblemsError(problems: readonly Problem[], what: string): AppError {
  const first = problems[0] ?? { path: '', message: 'is invalid' };
  return new AppError(
    'API_BAD_REQUEST',
    `${what} ${first.path || '/'} ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
    {
      details: { field: first.path, problems },
    },
  );
}

export function createCatalogService(deps: CatalogServiceDeps): CatalogService {
  const { store, logger } = deps;
  let offers: CatalogOffer[] = [];
  let rejected: RejectedOffer[] = [];
  let prior: ((offer: CatalogOffer) => number) | null = null;
  let index: CatalogIndex = buildCatalogIndex([], deps.epsilonMicroByClass);

  function rebuild(): void {
    const valid: CatalogOffer[] = [];
    const stale: RejectedOffer[] = [];
    store.catalogRows().forEach((row, i) => {
      const parsed = parseOffer(row.body, { classes: deps.classes, path: `/catalog/${row.id}` });
      if (parsed.ok) valid.push(parsed.offer);
      else stale.push({ index: i, id: row.id, problems: parsed.problems });
    });
    offers = valid;
    index = withPopularity(buildCatalogIndex(valid, deps.epsilonMicroByClass), prior);
    // Stored offers that no longer validate (e.g. a sensitivity class removed from the config).
    rejected = [...rejected.filter((r) => !r.problems.some((p) => p.path.startsWith('/catalog/'))), ...stale];
    for (const r of stale) logger.warn({ offer: r.id, problems: r.problems }, 'stored offer no longer valid');
  }

  function readFile(file: string): unknown {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new AppError(
        'CFG_UNREADABLE',
        `The offer catalog "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    try {
      return parseYaml(text) as unknown;
    } catch (error) {
      throw new AppError(
        'CFG_INVALID',
        `The offer catalog "${file}" is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  }

  return {
    load(nowMs) {
      let fromFile = 0;
      rejected = [];
      if (deps.file !== null) {
        const parsed = parseCatalog(readFile(deps.file), { classes: deps.classes });
        if (parsed.documentProblems.length > 0) {
          throw new AppError(
            'CFG_INVALID',
            `The offer catalog "${deps.file}": ${parsed.documentProblems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}`,
          );
        }
        for (const r of parsed.rejected) {
          logger.warn({ file: deps.file, index: r.index, offer: r.id, problems: r.problems }, 'catalog entry rejected');
        }
        rejected = [...parsed.rejected];
        const inFile = new Set(parsed.offers.map((o) => o.id));
        const retired = store.catalogRows().filter((row) => row.source === 'file' && !inFile.has(row.id));
        for (const row of retired) store.deleteOffer(row.id);
        store.upsertOffers(parsed.offers, 'file', nowMs);
        fromFile = parsed.offers.length;
        logger.info(
          { file: deps.file, offers: fromFile, rejected: parsed.rejected.length, retired: retired.length },
          'catalog file loaded',
        );
      }
      rebuild();
      return { fromFile, rejected: rejected.length };
    },
    index: () => index,
    offers: () => offers,
    rejected: () => rejected,
    apply(document, options) {
      const parsed = parseCatalog(document, { classes: deps.classes });
      const problems = [...parsed.documentProblems, ...parsed.rejected.flatMap((r) => r.problems)];
      if (problems.length > 0) throw catalogProblemsError(problems, 'Catalog');
      if (options.replace) store.replaceCatalog(parsed.offers, options.nowMs);
      else store.upsertOffers(parsed.offers, 'admin', options.nowMs);
      rebuild();
      return { accepted: parsed.offers.length };
    },
    remove(id) {
      const removed = store.deleteOffer(id);
      if (removed) rebuild();
      return removed;
    },
    setPrior(next) {
      prior = next;
      index = withPopularity(index, prior);
    },
  };
}
