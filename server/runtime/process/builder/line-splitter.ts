import "server-only";
import { StringDecoder } from "node:string_decoder";

/** Longest line passed on whole; longer output without a newline is cut into pieces of this size. */
const MAX_LINE = 16 * 1024;

/**
 * Turns a byte stream into lines (UTF-8 safe across chunk boundaries; "\r\n" and a lone "\r", as
 * progress bars print, both end a line; empty lines are dropped). Call `end()` for the last partial line.
 */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  const emit = (line: string) => {
    if (line.trim() !== "") onLine(line);
  };
  const take = (text: string) => {
    pending += text;
    const parts = pending.split(/\r\n|\n|\r/);
    pending = parts.pop() ?? "";
    for (const part of parts) emit(part);
    while (pending.length > MAX_LINE) {
      emit(pending.slice(0, MAX_LINE));
      pending = pending.slice(MAX_LINE);
    }
  };
  return {
    push: (chunk) => take(decoder.write(chunk)),
    end: () => {
      take(decoder.end());
      emit(pending);
      pending = "";
    },
  };
}
