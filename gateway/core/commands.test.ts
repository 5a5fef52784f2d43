import { describe, expect, it } from 'vitest';
import { parseCommand, replyError, replyOk } from './commands.ts';

describe('commands', () => {
  const bytes = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  it.each([
    [
      'identify',
      { v: 1, transaction: 't1', args: { seconds: 5 } },
      { ok: true, name: 'identify', transaction: 't1', seconds: 5 },
    ],
    ['identify', { v: 1, transaction: 't2' }, { ok: true, name: 'identify', transaction: 't2', seconds: 10 }],
    ['rescan', { v: 1, transaction: 't3' }, { ok: true, name: 'rescan', transaction: 't3', seconds: 10 }],
    ['reboot', { v: 1, transaction: 't4' }, { ok: false, transaction: 't4', code: 'PROTO_BAD_TOPIC' }],
    [
      'identify',
      { v: 1, transaction: 't5', args: { seconds: 9999 } },
      { ok: false, transaction: 't5', code: 'PROTO_BAD_PAYLOAD' },
    ],
    ['status', 'not json', { ok: false, transaction: null, code: 'PROTO_BAD_PAYLOAD' }],
    ['status', { v: 1 }, { ok: false, transaction: null, code: 'PROTO_BAD_PAYLOAD' }],
  ])('cmd/%s %j', (name, payload, expected) => {
    expect(parseCommand(name, bytes(payload))).toMatchObject(expected);
  });

  it('says what was wrong with a bad payload', () => {
    const parsed = parseCommand('identify', bytes({ v: 1, transaction: 't', args: { seconds: 0 } }));
    expect(parsed.ok === false && parsed.message).toBe('command payload is invalid: /args/seconds is 0, expected >= 1');
    expect(replyOk('t', { a: 1 })).toEqual({ v: 1, transaction: 't', ok: true, data: { a: 1 } });
    expect(replyError('t', 'X', 'm')).toEqual({
      v: 1,
      transaction: 't',
      ok: false,
      error: { code: 'X', message: 'm' },
    });
  });
});
