const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export type PresetRange = { key: string; label: string; spanMs: number; live: boolean };

/** The dashboard's ranges; the short ones follow new samples live. */
export const PRESET_RANGES: readonly PresetRange[] = [
  { key: "15m", label: "15 min", spanMs: 15 * MIN, live: true },
  { key: "1h", label: "1 h", spanMs: HOUR, live: true },
  { key: "6h", label: "6 h", spanMs: 6 * HOUR, live: true },
  { key: "24h", label: "24 h", spanMs: DAY, live: true },
  { key: "7d", label: "7 d", spanMs: 7 * DAY, live: false },
  { key: "30d", label: "30 d", spanMs: 30 * DAY, live: false },
];

export type RangeChoice = { kind: "preset"; key: string } | { kind: "custom"; from: string; to: string };
