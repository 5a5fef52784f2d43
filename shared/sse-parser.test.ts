import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent } from './sse-parser.ts';

describe('createSseParser', () => {
  it('parses events split across chunks, skips comments, joins multi-line data', () => {
    const events: SseEvent[] = [];
    const push = createSseParser((e) => events.push(e));
    push(': keep-alive\n\nid: 7\nevent: off');
    push('er\ndata: {"a":1}\n\ndata: line one\ndata: line two\n\n');
    push('id: 9\r\nevent: offer\r\ndata:{"b":2}\r\n\r\n');
    expect(events).toEqual([
      { id: '7', event: 'offer', data: '{"a":1}' },
      { id: null, event: 'message', data: 'line one\nline two' },
      { id: '9', event: 'offer', data: '{"b":2}' },
    ]);
  });
});
