import "server-only";
import { StringDecoder } from "node:string_decoder";
import { cutUtf8, MAX_LINE_BYTES } from "@/server/engine/log-writer";

/**
 * Turns a byte stream into lines (UTF-8 safe across chunk boundaries; "\r\n" and a lone "\r", as
 * progress bars print, both end a line; empty lines are dropped). A line longer than MAX_LINE_BYTES
 * is cut as instance output is (server/runtime/process/supervisor/line-splitter.ts): its first
 * 16 KiB, then `…[truncated N bytes]`; what follows until the next line break is counted, not kept,
 * so memory stays bounded. Call `end()` for the last partial line.
 */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  // Set while the current line is over the limit: its kept start, and the bytes dropped so far.
  let over: { kept: string; dropped: number } | null = null;

  const emit = (line: string) => {
    if (line.trim() !== "") onLine(line);
  };
  const endLine = (tail: string) => {
    if (over) {
      emit(`${over.kept}…[truncated ${over.dropped + Buffer.byteLength(tail, "utf8")} bytes]`);
      over = null;
      return;
    }
    const line = pending + tail;
    pending = "";
    // A UTF-16 unit is at most 3 UTF-8 bytes: short lines skip the byte count.
    if (line.length * 3 <= MAX_LINE_BYTES || Buffer.byteLength(line, "utf8") <= MAX_LINE_BYTES) return emit(line);
    const cut = cutUtf8(line, MAX_LINE_BYTES);
    emit(`${cut.kept}…[truncated ${cut.dropped} bytes]`);
  };
  const take = (text: string) => {
    const parts = text.split(/\r\n|\n|\r/);
    const rest = parts.pop() ?? "";
    for (const part of parts) endLine(part);
    if (over) {
      over.dropped += Buffer.byteLength(rest, "utf8");
      return;
    }
    pending += rest;
    if (pending.length * 3 > MAX_LINE_BYTES && Buffer.byteLength(pending, "utf8") > MAX_LINE_BYTES) {
      over = cutUtf8(pending, MAX_LINE_BYTES);
      pending = "";
    }
  };
  return {
    push: (chunk) => take(decoder.write(chunk)),
    end: () => {
      take(decoder.end());
      endLine("");
    },
  };
}
