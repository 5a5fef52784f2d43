import { AppError } from '../errors.ts';

/**
 * Exact rationals for privacy parameters (scales, σ², ε, ρ, sensitivities). Always in lowest terms
 * with a positive denominator, so equal values have equal fields and can be compared with `toEqual`.
 */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

/** What a parameter may be given as: a Rational, an integer bigint, or a decimal number or string. */
export type RationalInput = Rational | bigint | number | string;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const MAX_DECIMAL_EXPONENT = 1000;

export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** num/den in lowest terms. Throws RangeError on a zero denominator (a programming error). */
export function rational(num: bigint, den: bigint = 1n): Rational {
  if (den === 0n) throw new RangeError('rational denominator is 0');
  const sign = den < 0n ? -1n : 1n;
  const g = gcd(num, den);
  return g === 0n ? { num: 0n, den: 1n } : { num: (sign * num) / g, den: (sign * den) / g };
}

/**
 * The exact rational written by a decimal: "6.3" → 63/10, "1e-6" → 1/1000000, "-2.50" → −5/2.
 * A number is converted through its shortest round-trip decimal (`String(x)`), i.e. the decimal a
 * person typed: 6.3 → 63/10, not the binary double 6.29999999999999982236431605997495353221893310546875.
 * Throws AppError('DP_INVALID_PARAMETER') naming `name` for anything else (NaN, ±Infinity, "abc").
 */
export function rationalFromDecimal(value: string | number, name = 'value'): Rational {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = DECIMAL.exec(text);
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match ?? [];
  const exponent = Number(exponentText);
  if (match === null || whole + fraction === '' || Math.abs(exponent) > MAX_DECIMAL_EXPONENT) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      `${name} is ${describeInput(value)}, expected a finite decimal such as "6.3" or "1e-6"`,
    );
  }
  const digits = BigInt(whole + fraction) * (sign === '-' ? -1n : 1n);
  const scale = exponent - fraction.length;
  return scale >= 0 ? rational(digits * 10n ** BigInt(scale)) : rational(digits, 10n ** BigInt(-scale));
}

/** Any RationalInput as a Rational; errors name the parameter. */
export function toRational(input: RationalInput, name: string): Rational {
  if (typeof input === 'bigint') return rational(input);
  if (typeof input === 'number' || typeof input === 'string') return rationalFromDecimal(input, name);
  if (
    typeof input !== 'object' ||
    input === null ||
    typeof input.num !== 'bigint' ||
    typeof input.den !== 'bigint' ||
    input.den === 0n
  ) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      `${name} is ${describeInput(input)}, expected a decimal, a bigint or a rational {num, den} of bigints with den ≠ 0`,
    );
  }
  return rational(input.num, input.den);
}

/** toRational, also rejecting negative values. */
export function nonNegativeRational(input: RationalInput, name: string): Rational {
  const value = toRational(input, name);
  if (value.num < 0n)
    throw new AppError('DP_INVALID_PARAMETER', `${name} is ${describeInput(input)}, expected a value ≥ 0`);
  return value;
}

/** How a parameter was given, for error messages. */
export function describeInput(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input);
  if (typeof input === 'object' && input !== null && 'num' in input && 'den' in input)
    return `${String(input.num)}/${String(input.den)}`;
  return String(input);
}

export function addRational(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den + b.num * a.den, a.den * b.den);
}

export function mulRational(a: Rational, b: Rational): Rational {
  return rational(a.num * b.num, a.den * b.den);
}

export function divRational(a: Rational, b: Rational): Rational {
  if (b.num === 0n) throw new RangeError('division of a rational by 0');
  return rational(a.num * b.den, a.den * b.num);
}

/** −1, 0 or 1 as a <, =, > b (exact). */
export function compareRational(a: Rational, b: Rational): -1 | 0 | 1 {
  const left = a.num * b.den;
  const right = b.num * a.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** "63/10", or "36" for an integer. */
export function formatRational(r: Rational): string {
  return r.den === 1n ? String(r.num) : `${r.num}/${r.den}`;
}

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);

/** The exact rational value of a finite double (every double is a dyadic rational). */
export function rationalFromDouble(x: number): Rational {
  if (!Number.isFinite(x)) throw new RangeError(`${x} is not finite`);
  F64[0] = x;
  const bits = U64[0] as bigint;
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const mantissa = (bits & 0xfffffffffffffn) | (exponentBits === 0 ? 0n : 1n << 52n);
  const signed = bits >> 63n === 1n ? -mantissa : mantissa;
  const power = (exponentBits === 0 ? 1 : exponentBits) - 1075; // value = mantissa · 2^power
  return power >= 0 ? rational(signed << BigInt(power)) : rational(signed, 1n << BigInt(-power));
}

function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  F64[0] = x;
  U64[0] = (U64[0] as bigint) + (x > 0 ? 1n : -1n);
  return F64[0] as number;
}

/**
 * A double that is never below r: the correctly rounded value, moved up one ulp when rounding went
 * down. For reporting ε, ρ and σ without ever under-reporting a privacy loss.
 */
export function rationalToNumberUp(r: Rational): number {
  const negative = r.num < 0n;
  const magnitude = negative ? -r.num : r.num;
  // Scale so the integer quotient has ≥ 64 significant bits, then let Number() round it: the
  // candidate is within one ulp of r, and the exact comparison below fixes the direction.
  const shift = Math.max(0, 64 - (bitLength(magnitude) - bitLength(r.den)));
  const quotient = (magnitude << BigInt(shift)) / r.den;
  const half = Math.floor(shift / 2); // two exact power-of-two steps, so 2^-shift never underflows early
  let candidate = (negative ? -1 : 1) * (Number(quotient) * 2 ** -half * 2 ** -(shift - half));
  while (Number.isFinite(candidate) && compareRational(rationalFromDouble(candidate), r) < 0)
    candidate = nextUp(candidate);
  return candidate;
}

/** A double whose square is never below r ≥ 0 (for displaying σ = √σ² or Δ2 = √(Δ2²)). */
export function sqrtUp(r: Rational): number {
  if (r.num < 0n) throw new RangeError(`square root of ${formatRational(r)}`);
  let root = Math.sqrt(rationalToNumberUp(r));
  while (Number.isFinite(root)) {
    const exact = rationalFromDouble(root);
    if (compareRational(mulRational(exact, exact), r) >= 0) return root;
    root = nextUp(root);
  }
  return root;
}

export function bitLength(n: bigint): number {
  return n === 0n ? 0 : (n < 0n ? -n : n).toString(2).length;
}
