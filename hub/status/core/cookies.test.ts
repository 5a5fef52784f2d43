import { describe, expect, it } from 'vitest';
import { cookieValue, setCookieHeader } from './cookies.ts';

describe('cookieValue', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['hp_technician=abc', 'abc'],
    ['a=1; hp_technician=abc-_9; b=2', 'abc-_9'],
    ['hp_technician="quoted"', 'quoted'],
    ['xhp_technician=nope; hp_technicianx=nope', null],
    ['hp_technician=first; hp_technician=second', 'first'],
    ['garbage; hp_technician=ok', 'ok'],
  ])('%j → %j', (header, expected) => {
    expect(cookieValue(header, 'hp_technician')).toBe(expected);
  });
});

describe('setCookieHeader', () => {
  it('writes an HttpOnly, SameSite=Strict cookie, Secure over HTTPS', () => {
    expect(setCookieHeader('hp_technician', 'abc', { path: '/v1/technician', secure: true, maxAgeSeconds: 3600 })).toBe(
      'hp_technician=abc; Path=/v1/technician; Max-Age=3600; HttpOnly; SameSite=Strict; Secure',
    );
    expect(setCookieHeader('hp_technician', '', { path: '/', secure: false, maxAgeSeconds: 0 })).toBe(
      'hp_technician=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict',
    );
  });

  it('refuses values that could inject attributes', () => {
    expect(() =>
      setCookieHeader('hp_technician', 'a; Domain=evil', { path: '/', secure: true, maxAgeSeconds: 1 }),
    ).toThrow(RangeError);
  });
});
