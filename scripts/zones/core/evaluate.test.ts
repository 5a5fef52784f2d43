import { describe, expect, it } from 'vitest';
import { evaluateZones, type EvaluateOptions } from './evaluate.ts';
import { parseRssiCsv, parseZoneMap, type RssiRow } from './rssi-csv.ts';

const OPTIONS: EvaluateOptions = {
  zoneMap: new Map([
    ['gw-a', 'entrance'],
    ['gw-b', 'produce'],
  ]),
  windowSeconds: 10,
  minHits: 1,
  maxHits: 255,
  defaultBands: { nearDbm: -65, midDbm: -80 },
  presence: { visitGapSeconds: 300, switchPenalty: 6, smoothingWindows: 60 },
};

/** One advert per receiver per second for `seconds`, at the RSSIs given. */
function walk(
  device: string,
  from: number,
  seconds: number,
  zone: string,
  rssi: (second: number) => { a: number; b: number },
): RssiRow[] {
  const rows: RssiRow[] = [];
  for (let s = 0; s < seconds; s++) {
    const t = from + s * 1000;
    const { a, b } = rssi(s);
    rows.push(
      { t, device, receiver: 'gw-a', rssi: a, zone, line: 0 },
      { t, device, receiver: 'gw-b', rssi: b, zone, line: 0 },
    );
  }
  return rows;
}

const T0 = 1_790_000_000_000;

describe('labelled RSSI CSV', () => {
  it('reads Unix ms and ISO 8601 times', () => {
    const { rows, problems } = parseRssiCsv(
      'time,device,receiver,rssi,zone\n1790000000000,tag-1,gw-a,-60,entrance\r\n2026-01-01T10:00:00.5Z,tag-1,gw-b,-81,produce\n\n',
    );
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      { t: 1_790_000_000_000, device: 'tag-1', receiver: 'gw-a', rssi: -60, zone: 'entrance', line: 2 },
      {
        t: Date.parse('2026-01-01T10:00:00.5Z'),
        device: 'tag-1',
        receiver: 'gw-b',
        rssi: -81,
        zone: 'produce',
        line: 3,
      },
    ]);
  });

  it('names every bad row with its line and what was expected', () => {
    const { rows, problems } = parseRssiCsv(
      [
        'time,device,receiver,rssi,zone',
        'yesterday,tag-1,gw-a,-60,entrance',
        '1790000000000,tag 1,gw-a,-60,entrance',
        '1790000000000,tag-1,gw-a,-60.5,entrance',
        '1790000000000,tag-1,gw-a,-200,entrance',
        '1790000000000,tag-1,gw-a,-60',
        '1790000000000,tag-1,gw-a,-60,entrance',
      ].join('\n'),
    );
    expect(rows).toHaveLength(1);
    expect(problems).toEqual([
      { line: 2, message: 'time is "yesterday", expected Unix milliseconds or ISO 8601 with a zone' },
      { line: 3, message: 'device is "tag 1", expected 1–64 of A–Z a–z 0–9 _ . : -' },
      { line: 4, message: 'rssi is "-60.5", expected an integer dBm from -127 to 20' },
      { line: 5, message: 'rssi is "-200", expected an integer dBm from -127 to 20' },
      { line: 6, message: 'has 4 fields, expected 5 (time,device,receiver,rssi,zone)' },
    ]);
    expect(parseRssiCsv('t,d,r,s,z\n1,a,b,-1,c').problems).toEqual([
      { line: 1, message: 'header is "t,d,r,s,z", expected "time,device,receiver,rssi,zone"' },
    ]);
    expect(parseRssiCsv('time,device,receiver,rssi,zone\n').problems).toEqual([
      { line: 1, message: 'has no rows, expected at least one' },
    ]);
  });

  it('reads a receiver map and refuses a bad one', () => {
    expect([...parseZoneMap('one=outside, two=inside')]).toEqual([
      ['one', 'outside'],
      ['two', 'inside'],
    ]);
    expect(() => parseZoneMap('one=outside,one=inside')).toThrow('receiver "one" is mapped twice, expected once');
    expect(() => parseZoneMap('one')).toThrow('"one" is not RECEIVER=ZONE');
  });
});

describe('the zone model on a labelled recording', () => {
  it('is right where one receiver is clearly nearer, with no flapping; the vote flaps on noise the model ignores', () => {
    // 3 minutes at the entrance, then 3 in produce. In every fourth window of the entrance stay
    // gw-b gets more adverts (a reflection), which a per-window vote follows and hysteresis does not.
    const rows: RssiRow[] = [];
    rows.push(...walk('tag-1', T0, 180, 'entrance', () => ({ a: -60, b: -85 })));
    for (let w = 0; w < 18; w += 4)
      for (let s = 0; s < 3; s++)
        rows.push({
          t: T0 + w * 10_000 + s * 100 + 50,
          device: 'tag-1',
          receiver: 'gw-b',
          rssi: -84,
          zone: 'entrance',
          line: 0,
        });
    rows.push(...walk('tag-1', T0 + 180_000, 180, 'produce', () => ({ a: -86, b: -62 })));
    const result = evaluateZones(rows, OPTIONS);
    expect(result.windows).toBe(36);
    expect(result.accuracy).toBe(1);
    expect(result.flappingPerMinute).toBe(0);
    expect(result.truthChangesPerMinute).toBeCloseTo(1 / 6, 10); // one real move in 6 device-minutes
    expect(result.confusion).toEqual({ entrance: { entrance: 18 }, produce: { produce: 18 } });
    // The vote: adverts per zone, so the reflection windows (5 of 18) go to produce.
    expect(result.baselineConfusion).toEqual({ entrance: { entrance: 13, produce: 5 }, produce: { produce: 18 } });
    expect(result.baselineAccuracy).toBeCloseTo(31 / 36, 10);
    expect(result.baselineFlappingPerMinute).toBeCloseTo(9 / 6, 10); // 5 spikes, out and back, the first with no window before it: 1 + 4 × 2
    expect(result.majorityClassAccuracy).toBe(0.5);
    expect(result.unreachableZones).toEqual([]);
  });

  it('counts a zone no receiver stands for as never reachable', () => {
    const rows = walk('tag-2', T0, 60, 'vestibule', () => ({ a: -70, b: -75 }));
    const result = evaluateZones(rows, OPTIONS);
    expect(result.unreachableZones).toEqual(['vestibule']);
    expect(result.accuracy).toBe(0);
    expect(result.reachableAccuracy).toBeNull();
    expect(result.confusion).toEqual({ vestibule: { entrance: 6 } });
  });

  it('uses per-receiver band thresholds: a receiver that reads 12 dB hot is tamed by its calibration', () => {
    // Truth: produce. gw-a reads -70 (mid with defaults) although far away; gw-b -78 (mid).
    const rows = walk('tag-3', T0, 120, 'produce', () => ({ a: -70, b: -76 }));
    const uncalibrated = evaluateZones(rows, OPTIONS);
    expect(uncalibrated.accuracy).toBe(0); // same band, same hits: the alphabetical tie goes to entrance
    const calibrated = evaluateZones(rows, {
      ...OPTIONS,
      bands: new Map([['gw-a', { nearDbm: -53, midDbm: -68 }]]),
    });
    expect(calibrated.accuracy).toBe(1); // gw-a now far, gw-b mid
  });
});
