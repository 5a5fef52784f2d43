import { describe, expect, it } from 'vitest';
import { EXCERPT_BYTES, payloadExcerpt } from './payload-excerpt.ts';

describe('payloadExcerpt', () => {
  it.each([
    ['printable ASCII is kept', Buffer.from('{"v":1}'), 7, '{"v":1}'],
    ['control bytes and non-ASCII become \\xNN', Buffer.from([0x00, 0x41, 0x0a, 0xff]), 4, '\\x00A\\x0a\\xff'],
    ['a backslash is doubled', Buffer.from('a\\b'), 3, 'a\\\\b'],
    ['markup stays text (the page uses textContent)', Buffer.from('<script>'), 8, '<script>'],
    ['UTF-8 is escaped byte by byte', Buffer.from('é'), 2, '\\xc3\\xa9'],
    ['an empty payload is empty', Buffer.alloc(0), 0, ''],
  ])('%s', (_name, head, total, expected) => {
    expect(payloadExcerpt(head, total)).toBe(expected);
  });

  it('shows at most maxBytes and marks the cut', () => {
    const payload = Buffer.alloc(200, 0x61);
    const excerpt = payloadExcerpt(payload, payload.length);
    expect(excerpt).toBe(`${'a'.repeat(EXCERPT_BYTES)}…`);
    expect(payloadExcerpt(payload.subarray(0, 10), 200, 4)).toBe('aaaa…');
  });

  it('marks a cut when only the head of a longer payload was read', () => {
    expect(payloadExcerpt(Buffer.from('abc'), 1000)).toBe('abc…');
  });
});
