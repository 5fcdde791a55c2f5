/**
 * The uids Slipway gives its services when it runs as root: one per service, from
 * SLIPWAY_SERVICE_UID_RANGE ("first-last", default 200000-299999). Everything that must tell an app's
 * process from the console's (sandboxing, /metrics' loopback check) asks here.
 */
export type UidRange = { first: number; last: number };

const DEFAULT_RANGE: UidRange = { first: 200_000, last: 299_999 };

export function serviceUidRange(raw = process.env.SLIPWAY_SERVICE_UID_RANGE): UidRange {
  if (raw === undefined || raw.trim() === "") return DEFAULT_RANGE;
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(raw);
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2]) : NaN;
  if (!m || first < 1000 || last < first || last > 4_294_967_294) {
    throw new Error(`SLIPWAY_SERVICE_UID_RANGE must be "first-last" with 1000 ≤ first ≤ last (got ${JSON.stringify(raw.slice(0, 40))}); e.g. 200000-299999`);
  }
  return { first, last };
}

export function isServiceUid(uid: number, range = serviceUidRange()): boolean {
  return uid >= range.first && uid <= range.last;
}
