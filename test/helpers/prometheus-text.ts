/**
 * A checker of the Prometheus text exposition format (version 0.0.4), for the tests of every
 * /metrics endpoint: each line is a HELP or TYPE comment or a sample; every sample belongs to a
 * family whose TYPE came first (histogram and summary samples by their _bucket/_sum/_count
 * suffixes); names and label names are valid; label values are quoted with only \\, \" and \n
 * escaped; values are floats, NaN or ±Inf. Returns the problems ([] when valid) and the samples.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string): number | null {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : null;
}

function parseLabels(text: string): Record<string, string> | null {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) return null;
    const name = text.slice(i, eq);
    if (!LABEL.test(name) || text[eq + 1] !== '"') return null;
    let j = eq + 2;
    let value = '';
    while (j < text.length && text[j] !== '"') {
      if (text[j] === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else return null;
        j += 2;
      } else value += text[j++];
    }
    if (text[j] !== '"') return null;
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) return null;
  }
  return labels;
}

export function checkExposition(text: string): { problems: string[]; samples: Sample[] } {
  const problems: string[] = [];
  const samples: Sample[] = [];
  const typed = new Map<string, string>();
  const family = (name: string): string | undefined => {
    if (typed.has(name)) return name;
    for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created'])
      if (name.endsWith(suffix) && typed.has(name.slice(0, -suffix.length))) return name.slice(0, -suffix.length);
    return undefined;
  };
  if (!text.endsWith('\n')) problems.push('the text does not end with a line feed');
  text
    .split('\n')
    .slice(0, -1)
    .forEach((line, n) => {
      const at = `line ${n + 1}`;
      if (line.startsWith('# HELP ')) {
        const name = line.slice(7).split(' ')[0] ?? '';
        if (!NAME.test(name)) problems.push(`${at}: bad metric name in HELP: ${name}`);
        return;
      }
      if (line.startsWith('# TYPE ')) {
        const [name = '', type = ''] = line.slice(7).split(' ');
        if (!NAME.test(name)) problems.push(`${at}: bad metric name in TYPE: ${name}`);
        if (!TYPES.has(type)) problems.push(`${at}: unknown type ${type}`);
        if (typed.has(name)) problems.push(`${at}: second TYPE for ${name}`);
        typed.set(name, type);
        return;
      }
      if (line.startsWith('#') || line === '') return;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
      if (m === null) {
        problems.push(`${at}: not a sample: ${line}`);
        return;
      }
      const [, name = '', , labelText, valueText = ''] = m;
      const labels = labelText === undefined ? {} : parseLabels(labelText);
      const value = parseValue(valueText);
      if (labels === null) problems.push(`${at}: bad labels: ${line}`);
      if (value === null) problems.push(`${at}: bad value: ${line}`);
      if (family(name) === undefined) problems.push(`${at}: sample of ${name} before its TYPE`);
      if (labels !== null && value !== null) samples.push({ name, labels, value });
    });
  return { problems, samples };
}
