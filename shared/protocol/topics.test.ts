import { describe, expect, it } from 'vitest';
import {
  clockTopic,
  commandTopic,
  filters,
  gatewayMayPublish,
  gatewayMaySubscribe,
  parseReleaseTopic,
  parseTopic,
  presenceTopic,
  releaseTopic,
  replyTopic,
  statusTopic,
} from './topics.ts';

describe('topics', () => {
  it('builds and parses every topic', () => {
    const cases = [
      [presenceTopic('store-1', 'gw-a'), { kind: 'presence', store: 'store-1', gateway: 'gw-a' }],
      [statusTopic('store-1', 'gw-a'), { kind: 'status', store: 'store-1', gateway: 'gw-a' }],
      [
        commandTopic('store-1', 'gw-a', 'identify'),
        { kind: 'cmd', store: 'store-1', gateway: 'gw-a', command: 'identify' },
      ],
      [
        replyTopic('store-1', 'gw-a', 'identify'),
        { kind: 'reply', store: 'store-1', gateway: 'gw-a', command: 'identify' },
      ],
      [clockTopic('store-1'), { kind: 'clock', store: 'store-1' }],
    ] as const;
    for (const [topic, parsed] of cases) expect(parseTopic(topic)).toEqual(parsed);
    expect(presenceTopic('s', 'g')).toBe('hushpoint/v1/s/gateways/g/presence');
  });

  it('rejects foreign, mis-versioned and malformed topics', () => {
    for (const topic of [
      'hushpoint/v2/s/gateways/g/presence',
      'other/v1/s/gateways/g/presence',
      'hushpoint/v1/S/gateways/g/presence',
      'hushpoint/v1/s/gateways/g',
      'hushpoint/v1/s/gateways/g/presence/x',
      'hushpoint/v1/s/gateways/+/presence',
      'hushpoint/v1/s/hub/time',
    ]) {
      expect(parseTopic(topic)).toBeNull();
    }
    expect(() => presenceTopic('s', 'Bad Id')).toThrow(/gateway id "Bad Id" is invalid/);
  });

  it('implements the gateway ACL (docs/architecture.md#wire-protocol)', () => {
    expect(gatewayMayPublish('s', 'g1', presenceTopic('s', 'g1'))).toBe(true);
    expect(gatewayMayPublish('s', 'g1', statusTopic('s', 'g1'))).toBe(true);
    expect(gatewayMayPublish('s', 'g1', replyTopic('s', 'g1', 'identify'))).toBe(true);
    expect(gatewayMayPublish('s', 'g1', presenceTopic('s', 'g2'))).toBe(false);
    expect(gatewayMayPublish('s', 'g1', presenceTopic('other', 'g1'))).toBe(false);
    expect(gatewayMayPublish('s', 'g1', commandTopic('s', 'g1', 'identify'))).toBe(false);
    expect(gatewayMayPublish('s', 'g1', clockTopic('s'))).toBe(false);
    expect(gatewayMaySubscribe('s', 'g1', filters.gatewayCommands('s', 'g1'))).toBe(true);
    expect(gatewayMaySubscribe('s', 'g1', clockTopic('s'))).toBe(true);
    expect(gatewayMaySubscribe('s', 'g1', commandTopic('s', 'g1', 'rescan'))).toBe(true);
    expect(gatewayMaySubscribe('s', 'g1', filters.gatewayCommands('s', 'g2'))).toBe(false);
    expect(gatewayMaySubscribe('s', 'g1', filters.allPresence('s'))).toBe(false);
    expect(gatewayMaySubscribe('s', 'g1', '#')).toBe(false);
  });

  it('builds and parses the upstream release topics (hub → HQ broker)', () => {
    expect(releaseTopic('store-7', 'footfall')).toBe('hushpoint/v1/store-7/releases/footfall');
    expect(parseReleaseTopic(releaseTopic('store-7', 'offer-response'))).toEqual({
      store: 'store-7',
      kind: 'offer-response',
    });
    for (const topic of [
      'hushpoint/v1/store-7/releases',
      'hushpoint/v1/store-7/releases/footfall/x',
      'hushpoint/v2/store-7/releases/footfall',
      'hushpoint/v1/Store-7/releases/footfall',
      'hushpoint/v1/+/releases/+',
      presenceTopic('store-7', 'gw-1'),
    ])
      expect(parseReleaseTopic(topic)).toBeNull();
    expect(filters.sharedReleases('hq')).toBe('$share/hq/hushpoint/v1/+/releases/+');
    expect(() => filters.sharedReleases('h/q')).toThrow(/share group id "h\/q" is invalid/);
    expect(filters.mosquittoStoreReleases()).toBe('hushpoint/v1/%u/releases/+');
  });
});
