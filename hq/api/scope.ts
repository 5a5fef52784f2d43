import { AppError } from '../../shared/errors.ts';
import type { ScopeQueryType } from './schemas.ts';

/**
 * Which stores and dates a view reads (pure): one store (the store view), a store group, or the
 * whole chain; local dates from–to inclusive, by default the 28 days up to the last data.
 */

export interface StoreDirectory {
  readonly ids: readonly string[];
  readonly groupOf: ReadonlyMap<string, string | null>;
  readonly groups: ReadonlyMap<string, readonly string[]>;
}

export function storeDirectory(stores: ReadonlyArray<{ id: string; group?: string | undefined }>): StoreDirectory {
  const groups = new Map<string, string[]>();
  for (const s of stores) if (s.group !== undefined) groups.set(s.group, [...(groups.get(s.group) ?? []), s.id]);
  return {
    ids: stores.map((s) => s.id),
    groupOf: new Map(stores.map((s) => [s.id, s.group ?? null])),
    groups,
  };
}

export interface Scope {
  readonly from: string;
  readonly to: string;
  /** The day after `to` (exclusive bound for queries). */
  readonly toExclusive: string;
  readonly store: string | null;
  readonly group: string | null;
  /** null: every store. */
  readonly stores: readonly string[] | null;
  readonly storeCount: number;
}

export const MAX_SCOPE_DAYS = 400;
export const DEFAULT_SCOPE_DAYS = 28;

export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

function validDate(name: string, value: string): string {
  if (Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || addDays(value, 0) !== value)
    throw new AppError('API_BAD_REQUEST', `${name} is "${value}", expected a calendar date YYYY-MM-DD`, {
      details: { pointer: `/querystring/${name}` },
    });
  return value;
}

export function resolveScope(query: ScopeQueryType, directory: StoreDirectory, lastDataDate: string): Scope {
  if (query.store !== undefined && query.group !== undefined)
    throw new AppError(
      'API_BAD_REQUEST',
      `store "${query.store}" and group "${query.group}" are both set, expected one of them`,
      {
        details: { pointer: '/querystring/group' },
      },
    );
  const to = query.to !== undefined ? validDate('to', query.to) : lastDataDate;
  const from = query.from !== undefined ? validDate('from', query.from) : addDays(to, -(DEFAULT_SCOPE_DAYS - 1));
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  if (days < 1 || days > MAX_SCOPE_DAYS)
    throw new AppError(
      'API_BAD_REQUEST',
      `from ${from} to ${to} is ${days} days, expected 1 to ${MAX_SCOPE_DAYS} days`,
      {
        details: { pointer: '/querystring/from' },
      },
    );
  let stores: readonly string[] | null = null;
  if (query.store !== undefined) {
    if (!directory.groupOf.has(query.store))
      throw new AppError(
        'API_NOT_FOUND',
        `No store "${query.store}" in hq.yaml, expected one of ${directory.ids.slice(0, 5).join(', ')}${directory.ids.length > 5 ? ', …' : ''}`,
        {
          details: { pointer: '/querystring/store' },
        },
      );
    stores = [query.store];
  } else if (query.group !== undefined) {
    const members = directory.groups.get(query.group);
    if (members === undefined)
      throw new AppError(
        'API_NOT_FOUND',
        `No store group "${query.group}", expected one of ${[...directory.groups.keys()].join(', ') || '(none configured)'}`,
        {
          details: { pointer: '/querystring/group' },
        },
      );
    stores = members;
  }
  return {
    from,
    to,
    toExclusive: addDays(to, 1),
    store: query.store ?? null,
    group: query.group ?? null,
    stores,
    storeCount: stores?.length ?? directory.ids.length,
  };
}
