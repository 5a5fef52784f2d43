import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { ADV_EVENT_TYPES, encodeAdvertisingReport, ZERO_ADDRESS } from '../../shared/ble/hci-report.ts';
import { formatTraceHeader, formatTraceRecord } from '../../shared/ble/trace.ts';
import { decodeAdvert } from '../../shared/eid/carriers.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { LoadedNoble } from './noble-loader.ts';
import { NobleScanner } from './noble-scanner.ts';

/**
 * `hushpoint gateway capture`: records what an adapter hears as a trace (docs/trace-format.md)
 * — opt-in frames only, each re-encoded from the HCI report it arrived as (same AD data and
 * RSSI) with the advertiser address zeroed and the event type set to ADV_NONCONN_IND. Everything
 * else is counted and forgotten. With every address zeroed, noble could no longer pair a
 * connectable advert with its own scan response on replay (it keys that on the address), so
 * each recorded frame is marked non-connectable: replayed, every recorded frame is one hit.
 * The raw reports are taken from noble's HCI layer (the bytes noble itself parses).
 */

export interface CaptureResult {
  /** Reports heard, opt-in or not. */
  heard: number;
  /** Opt-in reports written to the trace. */
  recorded: number;
}

type RawReportListener = (
  status: number,
  type: number,
  address: string,
  addressType: string,
  eir: Buffer,
  rssi: number,
) => void;

export async function captureTrace(
  loaded: LoadedNoble,
  options: { seconds: number; out: string; gateway?: string; clock: Clock },
): Promise<CaptureResult> {
  const out = createWriteStream(options.out, { flags: 'wx' });
  await once(out, 'open');
  const result: CaptureResult = { heard: 0, recorded: 0 };
  out.write(
    `${formatTraceHeader({ ...(options.gateway !== undefined ? { gateway: options.gateway } : {}), source: 'capture', startMs: options.clock.now() })}\n`,
  );
  const onReport: RawReportListener = (_status, _type, _address, addressType, eir, rssi) => {
    result.heard++;
    if (decodeAdvert(eir) === null) return;
    const hci = encodeAdvertisingReport({
      eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
      addressType: addressType === 'random' ? 'random' : 'public',
      address: ZERO_ADDRESS,
      data: eir,
      rssi,
    });
    out.write(`${formatTraceRecord(options.clock.now(), hci)}\n`);
    result.recorded++;
  };
  const scanner = new NobleScanner({
    loaded,
    now: () => options.clock.now(),
    logger: silentLogger(),
    label: 'capture',
  });
  loaded.hci.on('leAdvertisingReport', onReport);
  try {
    await scanner.start({ advert: () => undefined, sighting: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  } finally {
    loaded.hci.removeListener('leAdvertisingReport', onReport);
    await scanner.stop();
    out.end();
    await once(out, 'close');
  }
  return result;
}
