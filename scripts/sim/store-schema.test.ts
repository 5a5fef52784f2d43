import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config/load-config.ts';
import { loadStore } from './load-store.ts';

const STORES = fileURLToPath(new URL('../stores/', import.meta.url));

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hp-store-'));
  made.push(dir);
  const file = join(dir, 'store.yaml');
  writeFileSync(file, text);
  return file;
}

function problems(text: string): string[] {
  const file = write(text);
  try {
    loadStore(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).lines.map((line) => line.slice(file.length + 2));
  }
  throw new Error('expected the store to be rejected');
}

const VALID = `store: s
hours: { opens: "09:00", closes: "11:00" }
entrance: { zone: a }
zones:
  - { id: a, rect: { x: 0, y: 0, width: 5, height: 5 }, dwell: { meanSeconds: 30 } }
  - { id: b, polygon: [[5, 0], [10, 0], [10, 5], [5, 5]], dwell: { meanSeconds: 60, distribution: lognormal } }
gateways:
  - { id: gw-a, zone: a, position: [2, 2] }
  - { id: gw-b, zone: b, position: [7, 2] }
`;

describe('store descriptions', () => {
  it('ships a small fashion store (6 zones, 6 gateways) and a large one (40 and 40)', () => {
    const small = loadStore(join(STORES, 'fashion-small.yaml')).config;
    expect([small.zones.length, small.gateways.length]).toEqual([6, 6]);
    const large = loadStore(join(STORES, 'department-large.yaml')).config;
    expect([large.zones.length, large.gateways.length]).toEqual([40, 40]);
  });

  it('fills the documented defaults', () => {
    const store = loadStore(write(VALID)).config;
    expect(store.radio).toEqual({
      pathLossExponent: 2.7,
      shadowingSigmaDb: 6,
      shadowingCorrelationSeconds: 10,
      fadingSigmaDb: 3,
      sensitivityDbm: -94,
      detectionSlopeDb: 2,
      txSpreadDb: 5,
      heightDifferenceM: 1.5,
    });
    expect(store.shoppers).toMatchObject({
      optInFraction: 0.3,
      exponent: 9,
      optedIn: { android: 0.5, iosForeground: 0.15, iosBackground: 0.25, tag: 0.1 },
    });
    expect(store.zones[1]?.dwell).toEqual({ meanSeconds: 60, distribution: 'lognormal', sigma: 0.8 });
    expect(store.gateways[0]?.receiverOffsetDb).toBe(0);
    expect(store.fixedDevices).toEqual([]);
  });

  it('reports every mistake as FILE: /pointer message', () => {
    const text = VALID.replace('gw-b, zone: b, position: [7, 2]', 'gw-a, zone: c, position: [7, 2]').replace(
      'hours: { opens: "09:00", closes: "11:00" }',
      'hours: { opens: "09:00", closes: "11:00" }\narrivalsPerHour: [10, 20, 30]\nshoppers: { optedIn: { android: 0.5, iosForeground: 0.5, iosBackground: 0.5, tag: 0 } }',
    );
    expect(problems(text)).toEqual([
      '/gateways/1/id is "gw-a", which gateway 0 already uses; gateway ids must be unique',
      '/gateways/1/zone is "c", expected one of the zone ids (a, b)',
      '/arrivalsPerHour has 3 values, expected 2 (one per opening hour, 09:00–11:00)',
      '/shoppers/optedIn shares sum to 1.5, expected 1 (android + iosForeground + iosBackground + tag)',
    ]);
  });

  it('catches typos, shapes, gateways outside their zone and an entrance nowhere', () => {
    expect(problems(VALID.replace('dwell: { meanSeconds: 30 }', 'dwel: { meanSeconds: 30 }'))).toEqual([
      '/zones/0/dwell is required',
      '/zones/0/dwel is not allowed here (unknown field; check the spelling)',
    ]);
    expect(problems(VALID.replace('position: [2, 2]', 'position: [8, 2]'))).toEqual([
      '/gateways/0/position is [8, 2], which is outside zone "a"',
    ]);
    expect(problems(VALID.replace('entrance: { zone: a }', 'entrance: { point: [50, 50] }'))).toEqual([
      '/entrance/point is [50, 50], which is inside no zone',
    ]);
    expect(problems(VALID.replace('{ id: a, rect:', '{ id: a, polygon: [[0, 0], [1, 0], [1, 1]], rect:'))).toEqual([
      '/zones/0 needs exactly one of "rect" or "polygon"',
    ]);
    expect(problems(`${VALID}fixedDevices:\n  - { kind: named, position: [1, 1] }\n`)).toEqual([
      '/fixedDevices/0/name is required for a "named" device',
    ]);
    expect(problems(VALID.replace('closes: "11:00"', 'closes: "08:00"'))).toEqual([
      '/hours/closes is 08:00, expected later than opens (09:00)',
    ]);
  });
});
