import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../shared/config/load-config.ts';
import { hubRole } from '../config.schema.ts';

const base = { role: 'hub', store: 'store-1', broker: { tls: { certFile: 'c.pem', keyFile: 'k.pem' } } };

function problems(extra: Record<string, unknown>): Array<{ path: string; message: string }> {
  const result = validateConfig(hubRole, { ...base, ...extra });
  return result.ok ? [] : result.problems;
}

describe('hub config: purchases', () => {
  it('defaults to the linked mode with 64 MiB uploads and 256 MiB exports, no key or products file', () => {
    const result = validateConfig(hubRole, base);
    expect(result.ok && result.config.purchases).toEqual({
      link: 'linked',
      maxBodyBytes: 64 * 1024 ** 2,
      maxFileBytes: 256 * 1024 ** 2,
    });
  });

  it.each([
    [{ purchases: { link: 'email' } }, '/purchases/link'],
    [{ purchases: { linkKeyFile: '' } }, '/purchases/linkKeyFile'],
    [{ purchases: { maxBodyBytes: 10 } }, '/purchases/maxBodyBytes'],
    [{ purchases: { linkKey: 'abc' } }, '/purchases/linkKey'],
  ])('reports %j at its path', (extra, path) => {
    expect(problems(extra).map((p) => p.path)).toContain(path);
  });
});
