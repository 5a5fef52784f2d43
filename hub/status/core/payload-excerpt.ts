/**
 * A short, printable excerpt of a quarantined payload for the technician page: at most
 * `maxBytes` bytes, printable ASCII kept as is, every other byte written as `\xNN` (and a
 * backslash as `\\`), so the excerpt is plain ASCII whatever the payload held. The page puts it
 * in the DOM with textContent; the excerpt never carries more than its first bytes.
 */

export const EXCERPT_BYTES = 48;

export function payloadExcerpt(head: Uint8Array, totalBytes: number, maxBytes = EXCERPT_BYTES): string {
  const shown = Math.min(head.length, maxBytes, totalBytes);
  let out = '';
  for (let i = 0; i < shown; i++) {
    const byte = head[i] as number;
    if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return totalBytes > shown ? `${out}…` : out;
}
