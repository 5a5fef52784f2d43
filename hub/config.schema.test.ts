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

describe('the privacy section (contract v2)', () => {
  it('defaults to one shopper over a quarter with cap ρ 1', () => {
    const result = validateConfig(hubRole, base);
    expect(result.ok && result.config.privacy.budget).toEqual({ period: 'quarter', periodRho: 1 });
  });

  it.each([
    [{ budget: { period: 'week' } }, '/privacy/budget/period', /expected one of "month", "quarter", "year"/],
    [{ budget: { periodRho: -1 } }, '/privacy/budget/periodRho', /expected > 0/],
    [
      { budget: { periodRho: 0.5 }, releases: { footfall: { rho: 0.6 } } },
      '/privacy/releases/footfall/rho',
      /at most budget\.periodRho \(0\.5\)/,
    ],
    [{ budget: { periodRho: 1, lifetimeRho: 0.5 } }, '/privacy/budget/lifetimeRho', /at least budget\.periodRho/],
    [{ budget: { dailyRho: 0.3 } }, '/privacy/budget/dailyRho', /earlier version .*budget\.period and periodRho/],
    [{ schedule: { hourly: '5 * * * *' } }, '/privacy/schedule/hourly', /privacy\.schedule\.releases/],
  ])('refuses %j at %s, saying what is expected', (privacy, path, message) => {
    const result = validateConfig(hubRole, { ...base, privacy });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const problem = result.problems.find((p) => p.path === path);
    expect(problem?.message).toMatch(message);
  });
});
