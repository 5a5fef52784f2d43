import { intOption, usageError, type Command } from '../../shared/cli/command.ts';
import { encodeAdvert } from '../../shared/eid/carriers.ts';
import { computeEid, parseIdentityKey } from '../../shared/eid/eid.ts';
import { EXIT, isAppError } from '../../shared/errors.ts';

/** The moment given as ISO 8601 → Unix seconds (the EID counter). */
function counterFromIso(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    throw usageError(`--at is "${text}", expected an ISO 8601 date-time with a zone, e.g. 2026-11-28T10:00:00Z`);
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || ms < 0 || ms / 1000 > 0xffffffff)
    throw usageError(`--at is "${text}", expected a date-time between 1970 and 2106`);
  return Math.floor(ms / 1000);
}

export const eidCommand: Command = {
  name: 'eid',
  summary: 'compute the Eddystone-EID (or the advert bytes) a tag or phone should be sending',
  usage: 'hushpoint eid --identity-key HEX32 --exponent K (--counter N | --at ISO8601) [--frame eddystone|ios]',
  description: `Prints the 8-byte EID as 16 lowercase hex characters, and nothing else, on stdout.
With --frame, prints the whole advertisement payload (AD structures) as hex instead.
The counter is Unix seconds, as the hub uses it. Technicians use this to check a test tag.`,
  options: {
    'identity-key': {
      type: 'string',
      value: 'HEX32',
      description: "the shopper's or tag's 128-bit identity key, 32 hex digits",
    },
    exponent: {
      type: 'string',
      value: 'K',
      description: 'rotation exponent 0..15 (the EID changes every 2^K seconds)',
    },
    counter: { type: 'string', value: 'N', description: 'seconds counter, 0..4294967295' },
    at: { type: 'string', value: 'ISO8601', description: 'a moment instead of --counter (counter = its Unix seconds)' },
    frame: {
      type: 'string',
      value: 'eddystone|ios',
      description: 'print the advertisement payload bytes of this carrier',
    },
    'tx-power': {
      type: 'string',
      value: 'DBM',
      description: 'Eddystone ranging byte, calibrated TX power at 0 m',
      default: '-18',
    },
  },
  run({ values }, { io }) {
    const keyHex = values['identity-key'];
    if (typeof keyHex !== 'string') throw usageError('--identity-key is required: 32 hex digits (16 bytes)');
    let identityKey: Buffer;
    try {
      identityKey = parseIdentityKey(keyHex);
    } catch (error) {
      if (isAppError(error)) throw usageError(`--identity-key ${error.message.replace(/^Identity key /, '')}`);
      throw error;
    }
    const exponent = intOption(values, 'exponent', { min: 0, max: 15 });
    if (values.counter !== undefined && values.at !== undefined)
      throw usageError('give either --counter or --at, not both');
    const counter =
      typeof values.at === 'string'
        ? counterFromIso(values.at)
        : intOption(values, 'counter', { min: 0, max: 0xffffffff });
    const eid = computeEid({ identityKey, exponent, counter });
    const frame = values.frame;
    if (frame === undefined) {
      io.out(eid.toString('hex'));
      return EXIT.OK;
    }
    if (frame !== 'eddystone' && frame !== 'ios')
      throw usageError(`--frame is "${String(frame)}", expected "eddystone" or "ios"`);
    const txPower = intOption(values, 'tx-power', { min: -128, max: 127 });
    io.out(encodeAdvert(frame, eid, txPower).toString('hex'));
    return EXIT.OK;
  },
};
