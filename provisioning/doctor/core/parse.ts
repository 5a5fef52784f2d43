/**
 * Parsers for what the probes read from system tools (pure, so they are tested with recorded
 * output): `systemctl show` / `timedatectl show` (KEY=value lines) and `hciconfig hciN`.
 */

export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** Whether `hciconfig hciN` says the adapter is UP or DOWN; null when it says neither. */
export function parseHciconfigState(text: string): boolean | null {
  if (/^\s+UP\b/m.test(text)) return true;
  if (/^\s+DOWN\b/m.test(text)) return false;
  return null;
}

/** Node's "v20.20.2" → 20, or null. */
export function nodeMajor(version: string): number | null {
  const match = /^v?(\d+)\./.exec(version);
  return match === null ? null : Number(match[1]);
}
