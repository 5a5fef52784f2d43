/**
 * A parser for a server-sent-events stream (the WHATWG event-stream format, the subset the hub
 * sends: `id:`, `event:`, `data:` lines, comment lines starting with ":", events separated by a
 * blank line). Used by the hub's clients: the demo's shopper app and the tests.
 */

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/** Returns `push(chunk)`: feed it text as it arrives; it calls `onEvent` for each complete event. */
export function createSseParser(onEvent: (event: SseEvent) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | null = null;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0 || id !== null) onEvent({ id, event, data: data.join('\n') });
    }
  };
}
