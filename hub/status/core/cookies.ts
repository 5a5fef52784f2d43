/**
 * The technician session cookie (RFC 6265): parse a `Cookie` header, write a `Set-Cookie` value.
 * The session cookie is HttpOnly (page scripts never see it), SameSite=Strict (no other site
 * can make the browser send it) and Secure whenever the hub serves HTTPS.
 */

export const SESSION_COOKIE = 'hp_technician';

/** The value of cookie `name` in a `Cookie` header, or null (the first one wins). */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value;
  }
  return null;
}

export interface CookieOptions {
  path: string;
  secure: boolean;
  /** Lifetime in seconds; 0 deletes the cookie. */
  maxAgeSeconds: number;
}

const VALUE_RE = /^[A-Za-z0-9_-]*$/;

export function setCookieHeader(name: string, value: string, options: CookieOptions): string {
  if (!VALUE_RE.test(name) || !VALUE_RE.test(value))
    throw new RangeError('cookie name and value must be base64url characters');
  const parts = [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}
