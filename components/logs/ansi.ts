/**
 * ANSI SGR ("\x1b[…m") colour and style codes into styled segments; every other escape sequence
 * (cursor moves, OSC titles and links) is dropped. Pure: the viewer renders the segments as spans.
 */
export type AnsiStyle = { fg?: string; bg?: string; bold?: boolean; dim?: boolean; italic?: boolean; underline?: boolean; inverse?: boolean };
export type AnsiSegment = { text: string; style: AnsiStyle };

// xterm's default palette: 0–7 normal, 8–15 bright.
const BASIC = ["#1e1e1e", "#cd3131", "#0dbc79", "#c8a400", "#2472c8", "#bc3fbc", "#11a8cd", "#a0a0a0", "#666666", "#f14c4c", "#23d18b", "#e5e510", "#3b8eea", "#d670d6", "#29b8db", "#e5e5e5"];

function color256(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 255) return undefined;
  if (n < 16) return BASIC[n];
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  const c = (x: number) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${c(Math.floor(i / 36))},${c(Math.floor(i / 6) % 6)},${c(i % 6)})`;
}

/** Applies one SGR parameter list to a style (returns a new style). */
function applySgr(style: AnsiStyle, params: number[]): AnsiStyle {
  const s = { ...style };
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p === 0) for (const k of Object.keys(s) as (keyof AnsiStyle)[]) delete s[k];
    else if (p === 1) s.bold = true;
    else if (p === 2) s.dim = true;
    else if (p === 3) s.italic = true;
    else if (p === 4) s.underline = true;
    else if (p === 7) s.inverse = true;
    else if (p === 22) s.bold = s.dim = undefined;
    else if (p === 23) s.italic = undefined;
    else if (p === 24) s.underline = undefined;
    else if (p === 27) s.inverse = undefined;
    else if (p >= 30 && p <= 37) s.fg = BASIC[p - 30];
    else if (p >= 90 && p <= 97) s.fg = BASIC[p - 90 + 8];
    else if (p === 39) s.fg = undefined;
    else if (p >= 40 && p <= 47) s.bg = BASIC[p - 40];
    else if (p >= 100 && p <= 107) s.bg = BASIC[p - 100 + 8];
    else if (p === 49) s.bg = undefined;
    else if (p === 38 || p === 48) {
      const key = p === 38 ? "fg" : "bg";
      if (params[i + 1] === 5) {
        s[key] = color256(params[i + 2]);
        i += 2;
      } else if (params[i + 1] === 2) {
        const [r, g, b] = params.slice(i + 2, i + 5).map((x) => Math.max(0, Math.min(255, x || 0)));
        s[key] = `rgb(${r},${g},${b})`;
        i += 4;
      }
    }
  }
  return s;
}

// CSI sequences (SGR is the one ending in "m"), OSC sequences (ended by BEL or ESC \), and lone escapes.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b\[([0-9;:?]*)([@-~])|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]?/g;

export function parseAnsi(line: string): AnsiSegment[] {
  if (!line.includes("\u001b")) return [{ text: line, style: {} }];
  const out: AnsiSegment[] = [];
  let style: AnsiStyle = {};
  let last = 0;
  for (const m of line.matchAll(ESCAPES)) {
    if (m.index > last) out.push({ text: line.slice(last, m.index), style });
    last = m.index + m[0].length;
    if (m[2] === "m") style = applySgr(style, (m[1] || "0").split(/[;:]/).map((x) => (x === "" ? 0 : Number(x))));
  }
  if (last < line.length) out.push({ text: line.slice(last), style });
  return out;
}

/** The line without any escape sequence: what a search or a copy should see. */
export const stripAnsi = (line: string): string => (line.includes("\u001b") ? line.replace(ESCAPES, "") : line);
