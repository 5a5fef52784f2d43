import { describe, expect, it } from 'vitest';
import { validateConfig } from '../shared/config/load-config.ts';
import { hubRole } from './config.schema.ts';

const base = { role: 'hub', store: 'store-1', broker: { tls: { certFile: 'c.pem', keyFile: 'k.pem' } } };

describe('hub config', () => {
  it('fills the defaults of every section', () => {
    const result = validateConfig(hubRole, base);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.broker).toMatchObject({
      maxPacketBytes: 1024 ** 2,
      maxClients: 500,
      publishRatePerSecond: 100,
      clockIntervalSeconds: 30,
      plain: { enabled: false, port: 1883 },
    });
    expect(result.config.eid.defaultExponent).toBe(9);
    expect(result.config.presence).toMatchObject({ visitGapSeconds: 300, switchPenalty: 6, smoothingWindows: 60 });
    expect(result.config.retention).toMatchObject({ sightingsHours: 24, visitsDays: 30, cron: '17 * * * *' });
  });

  it.each([
    [{ retention: { cron: '61 * * * *' } }, '/retention/cron', /expected a cron expression/],
    [{ retention: { timezone: 'Mars/Olympus' } }, '/retention/timezone', /IANA time zone/],
    [{ api: { port: 8443, certFile: 'api.pem' } }, '/api/keyFile', /together/],
    [
      { broker: { tls: { certFile: 'c', keyFile: 'k', port: 1883 }, plain: { enabled: true } } },
      '/broker/plain/port',
      /same as broker.tls.port/,
    ],
    [{ presence: { hysteresisWindows: 2 } }, '/presence/hysteresisWindows', /not allowed/],
  ])('reports %j at its path', (extra, path, message) => {
    const result = validateConfig(hubRole, { ...base, ...extra });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ path, message: expect.stringMatching(message) })]),
    );
  });
});
