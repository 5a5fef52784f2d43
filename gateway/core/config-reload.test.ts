import { describe, expect, it } from 'vitest';
import { applyLiveSettings, changedSettings, splitReload } from './config-reload.ts';

describe('config reload', () => {
  it('applies live settings and lists what needs a restart', () => {
    const before = {
      store: 's',
      window: { seconds: 10, minHits: 1, nearDbm: -65 },
      heartbeatSeconds: 30,
      hub: { url: 'mqtt://a' },
    };
    const after = {
      store: 's',
      window: { seconds: 5, minHits: 2, nearDbm: -60 },
      heartbeatSeconds: 15,
      hub: { url: 'mqtt://b' },
    };
    const changed = changedSettings(before, after);
    expect(changed).toEqual(['/heartbeatSeconds', '/hub/url', '/window/minHits', '/window/nearDbm', '/window/seconds']);
    const { live, restartRequired } = splitReload(changed);
    expect(live).toEqual(['/heartbeatSeconds', '/window/minHits', '/window/nearDbm']);
    expect(restartRequired).toEqual(['/hub/url', '/window/seconds']);
    const applied = applyLiveSettings(before, after, live);
    expect(applied).toEqual({
      store: 's',
      window: { seconds: 10, minHits: 2, nearDbm: -60 },
      heartbeatSeconds: 15,
      hub: { url: 'mqtt://a' },
    });
    expect(before.window.minHits).toBe(1);
  });
});
