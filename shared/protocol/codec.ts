import { compileValidator, type Problem, type Validation } from '../validation.ts';
import { LIMITS, SCHEMAS, type SchemaName, type SchemaType } from './schemas.ts';

/**
 * Encode and decode every payload of the wire protocol. `decode*` never throws: it returns
 * every problem with its JSON pointer, so the receiver can quarantine or reply with a reason.
 */

export const MAX_PAYLOAD_BYTES = 512 * 1024;

const validators = new Map<SchemaName, (value: unknown) => Validation<unknown>>();

function validatorFor<N extends SchemaName>(name: N): (value: unknown) => Validation<SchemaType<N>> {
  let validate = validators.get(name);
  if (validate === undefined) {
    validate = compileValidator(SCHEMAS[name]);
    validators.set(name, validate);
  }
  return validate as (value: unknown) => Validation<SchemaType<N>>;
}

function parseJson(payload: Uint8Array | string): { ok: true; value: unknown } | { ok: false; problems: Problem[] } {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_PAYLOAD_BYTES)
    return {
      ok: false,
      problems: [{ path: '', message: `payload is ${size} bytes, expected at most ${MAX_PAYLOAD_BYTES}` }],
    };
  try {
    const text =
      typeof payload === 'string'
        ? payload
        : Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8');
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problems: [{ path: '', message: `is not valid JSON (${(error as Error).message})` }] };
  }
}

/** Validates an already parsed value against a payload schema. */
export function validatePayload<N extends SchemaName>(name: N, value: unknown): Validation<SchemaType<N>> {
  return validatorFor(name)(value);
}

export function decodePayload<N extends SchemaName>(name: N, payload: Uint8Array | string): Validation<SchemaType<N>> {
  const parsed = parseJson(payload);
  return parsed.ok ? validatePayload(name, parsed.value) : parsed;
}

export function encodePayload<N extends SchemaName>(name: N, value: SchemaType<N>): Buffer {
  const checked = validatePayload(name, value);
  if (!checked.ok) {
    throw new RangeError(
      `refusing to encode an invalid ${name}: ${checked.problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}`,
    );
  }
  return Buffer.from(JSON.stringify(value));
}

/**
 * A presence batch: schema checks plus the rules a schema cannot say — the window is aligned
 * to its length, not in the far future (`nowSeconds` + LIMITS.maxFutureSkewSeconds), and no EID
 * appears twice.
 */
export function decodePresenceBatch(
  payload: Uint8Array | string,
  options: { nowSeconds: number },
): Validation<SchemaType<'PresenceBatch'>> {
  const result = decodePayload('PresenceBatch', payload);
  if (!result.ok) return result;
  const batch = result.value;
  const problems: Problem[] = [];
  const latest = options.nowSeconds + LIMITS.maxFutureSkewSeconds;
  if (batch.windowStart > latest) {
    problems.push({
      path: '/windowStart',
      message: `is ${batch.windowStart}, ${batch.windowStart - options.nowSeconds} s in the future, expected at most ${LIMITS.maxFutureSkewSeconds} s ahead of the hub clock`,
    });
  }
  if (batch.windowStart % batch.windowSeconds !== 0) {
    problems.push({
      path: '/windowStart',
      message: `is ${batch.windowStart}, expected a multiple of windowSeconds (${batch.windowSeconds})`,
    });
  }
  const seen = new Set<string>();
  batch.sightings.forEach((sighting, index) => {
    if (seen.has(sighting.eid))
      problems.push({
        path: `/sightings/${index}/eid`,
        message: `is "${sighting.eid}", which already appears earlier in this batch`,
      });
    seen.add(sighting.eid);
  });
  return problems.length === 0 ? result : { ok: false, problems };
}
