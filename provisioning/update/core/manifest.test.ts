import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors.ts';
import { checkRelativePath, compareVersions, isReleaseVersion, resolveLinkTarget } from './manifest.ts';

describe('release versions', () => {
  it.each([
    ['1.0.0', '1.0.0', 0],
    ['1.0.1', '1.0.0', 1],
    ['1.10.0', '1.9.9', 1],
    ['2.0.0', '10.0.0', -1],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta', -1],
    ['1.0.0-beta.2', '1.0.0-beta.11', -1],
    ['1.0.0-rc.1', '1.0.0-beta.11', 1],
  ])('%s against %s is %i (semver 2.0 precedence)', (a, b, order) => {
    expect(compareVersions(a, b)).toBe(order);
    expect(compareVersions(b, a)).toBe(-order || 0);
  });

  it.each(['1.0', '01.0.0', '1.0.0+build', 'v1.0.0', '../1.0.0', '1.0.0-', '1.0.0-a..b', ''])(
    'refuses %j as a release version',
    (text) => {
      expect(isReleaseVersion(text)).toBe(false);
      expect(() => compareVersions(text, '1.0.0')).toThrow(RangeError);
    },
  );
});

describe('release paths', () => {
  it.each(['a', 'dist/cli/main.js', 'node_modules/@scope/pkg/index.js', 'a b/c..d/.hidden'])('accepts %j', (path) => {
    expect(checkRelativePath(path, '/p')).toBe(path);
  });

  it.each([
    ['', /0 characters/],
    ['/etc/passwd', /absolute/],
    ['../x', /"\.\." segment/],
    ['a/../../x', /"\.\." segment/],
    ['a/./b', /"\." segment/],
    ['a//b', /"" segment/],
    ['a/', /"" segment/],
    ['a\\b', /backslash/],
    ['a\u0000b', /control character/],
    ['x'.repeat(256), /over 255/],
  ])('refuses %j with UPDATE_UNSAFE_PATH', (path, message) => {
    let caught: unknown;
    try {
      checkRelativePath(path, '/files/0/path');
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught, 'UPDATE_UNSAFE_PATH')).toBe(true);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toMatch(/expected a relative path inside the release folder/);
  });

  it.each([
    ['latest', 'lib/message.txt', ['lib', 'message.txt']],
    ['node_modules/.bin/x', '../pkg/bin.js', ['node_modules', 'pkg', 'bin.js']],
    ['a/b/c', '../../d', ['d']],
    ['a/b', './c', ['a', 'c']],
    ['a', '..', null],
    ['a/b', '../../x', null],
    ['a', '/etc/passwd', null],
    ['a', '', null],
  ])('resolves link %j -> %j to %j', (link, target, resolved) => {
    expect(resolveLinkTarget(link, target)).toEqual(resolved);
  });
});
