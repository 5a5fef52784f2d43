import { rational, type Rational } from '../../../shared/privacy/rational.ts';
import type { ReleasePayload } from '../../../shared/upstream/release-payload.ts';
import type { AnyReleasePayload, ReleasePayloadV2 } from '../../../shared/upstream/release-payload-v2.ts';
import { noiseVariance, parseRationalText, type NoiseSpec } from '../../pooling/core/noise-variance.ts';

/**
 * One shape for releases of either payload version (pure), so that storage and pooling need not
 * know v1 from v2: the window the cells describe (v1: its hour or day period), the budget period
 * it is charged to (v1: the shopper-day), and per measure its layout, granularity and noise.
 * The values are the released noisy integers, untouched: HQ never re-noises and never edits a
 * value (docs/hq-pooling.md).
 */

export type Layout = 'cells' | 'upper-triangle' | 'rows';

export interface NormalizedMeasure {
  readonly metric: string;
  readonly query: 'count' | 'sum' | 'mean';
  readonly layout: Layout;
  readonly rows: number | null;
  readonly noise: NoiseSpec;
  readonly granularity: Rational;
  /** The granularity as the payload wrote it ("1", "1/1024"). */
  readonly granularityText: string;
  /** Noise variance of one value in real units (docs/hq-pooling.md §1). */
  readonly variance: number;
  readonly halfWidth95: number;
  readonly values: readonly number[];
}

export interface NormalizedWindow {
  readonly unit: 'hour' | 'day' | 'week' | 'period';
  readonly label: string;
  readonly startUnix: number;
  readonly endUnix: number;
  /** The window's start in the store's local time without offset: "2026-11-28T10:00". */
  readonly localStart: string;
}

export interface NormalizedRelease {
  readonly version: 1 | 2;
  readonly store: string;
  readonly release: string;
  readonly kind: string;
  readonly budgetPeriod: string;
  readonly window: NormalizedWindow;
  readonly cells: readonly string[];
  readonly measures: readonly NormalizedMeasure[];
}

const ONE = rational(1n);

function measureFrom(
  m: {
    metric: string;
    query: 'count' | 'sum' | 'mean';
    mechanism: 'discrete-gaussian' | 'discrete-laplace';
    sigmaSquared?: string | undefined;
    scale?: string | undefined;
    values: number[];
  },
  extra: { layout: Layout; rows: number | null; granularityText: string; halfWidth95: number | null },
): NormalizedMeasure {
  const noise: NoiseSpec =
    m.mechanism === 'discrete-gaussian'
      ? { mechanism: m.mechanism, sigmaSquared: parseRationalText(m.sigmaSquared ?? '', 'sigmaSquared') }
      : { mechanism: m.mechanism, scale: parseRationalText(m.scale ?? '', 'scale') };
  const granularity = extra.granularityText === '1' ? ONE : parseRationalText(extra.granularityText, 'granularity');
  const { variance } = noiseVariance(noise, granularity);
  return {
    metric: m.metric,
    query: m.query,
    layout: extra.layout,
    rows: extra.rows,
    noise,
    granularity,
    granularityText: extra.granularityText,
    variance,
    // v1 payloads state no half-width: the normal 95% interval of the stated noise.
    halfWidth95: extra.halfWidth95 ?? 1.959964 * Math.sqrt(variance),
    values: m.values,
  };
}

function normalizeV1(p: ReleasePayload): NormalizedRelease {
  return {
    version: 1,
    store: p.store,
    release: p.release,
    kind: p.kind,
    budgetPeriod: p.period.start.slice(0, 10),
    window: {
      unit: p.period.unit,
      label: p.release.slice(p.kind.length + 1),
      startUnix: p.period.startUnix,
      endUnix: p.period.endUnix,
      localStart: p.period.start.slice(0, 16),
    },
    cells: p.cells,
    measures: p.measures.map((m) =>
      measureFrom(m, { layout: 'cells', rows: null, granularityText: '1', halfWidth95: null }),
    ),
  };
}

function normalizeV2(p: ReleasePayloadV2): NormalizedRelease {
  return {
    version: 2,
    store: p.store,
    release: p.release,
    kind: p.kind,
    budgetPeriod: p.budgetPeriod.label,
    window: {
      unit: p.window.unit,
      label: p.window.label,
      startUnix: p.window.startUnix,
      endUnix: p.window.endUnix,
      localStart: p.window.start.slice(0, 16),
    },
    cells: p.cells,
    measures: p.measures.map((m) =>
      measureFrom(m, {
        layout: m.layout,
        rows: m.rows ?? null,
        granularityText: m.granularity,
        halfWidth95: m.halfWidth95,
      }),
    ),
  };
}

export function normalizeRelease(payload: AnyReleasePayload): NormalizedRelease {
  return payload.v === 2 ? normalizeV2(payload) : normalizeV1(payload);
}

/** One released value of a "cells" measure: the rows HQ aggregates with SQL. */
export interface CellValueRow {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly windowUnit: string;
  readonly windowLabel: string;
  readonly localStart: string;
  readonly store: string;
  readonly releaseId: string;
  readonly kind: string;
  readonly metric: string;
  readonly cell: string;
  readonly value: number;
  readonly granularity: string;
  readonly variance: number;
}

export function cellValueRows(release: NormalizedRelease): CellValueRow[] {
  const rows: CellValueRow[] = [];
  for (const measure of release.measures) {
    if (measure.layout !== 'cells') continue;
    measure.values.forEach((value, i) => {
      rows.push({
        windowStart: release.window.startUnix,
        windowEnd: release.window.endUnix,
        windowUnit: release.window.unit,
        windowLabel: release.window.label,
        localStart: release.window.localStart,
        store: release.store,
        releaseId: release.release,
        kind: release.kind,
        metric: measure.metric,
        cell: release.cells[i] as string,
        value,
        granularity: measure.granularityText,
        variance: measure.variance,
      });
    });
  }
  return rows;
}
