import "server-only";
import { MAX_LINE_BYTES, utf8CutPoint } from "@/server/engine/log-writer";

/**
 * Turns an output stream into lines. Splitting happens on bytes (a newline byte never occurs inside a
 * multi-byte UTF-8 sequence), so characters split across chunks come out whole. A line longer than
 * `maxBytes` keeps its first `maxBytes` (cut on a character boundary) plus `…[truncated N bytes]`;
 * memory stays bounded however long the line runs. A trailing CR (CRLF output) is dropped. The lines
 * of one chunk share one time: they arrived together, and a `new Date()` per line was a visible part
 * of a chatty instance's cost (Next wraps the constructor in an IO check). Cut at MAX_LINE_BYTES, the
 * log writer's limit, so what the pipeline stores is what was cut here.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private kept = 0; // bytes held in `parts`
  private total = 0; // bytes of the current line, held or not

  constructor(
    private readonly emit: (line: string, at: Date) => void,
    private readonly maxBytes = MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let at: Date | undefined;
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(10, start);
      if (newline === -1) {
        this.append(chunk.subarray(start));
        return;
      }
      at ??= new Date();
      if (this.total === 0 && newline - start <= this.maxBytes) {
        // The whole line is in this chunk (the usual case): decoded in place, nothing copied.
        const end = newline > start && chunk[newline - 1] === 13 ? newline - 1 : newline;
        this.emit(chunk.toString("utf8", start, end), at);
      } else {
        this.append(chunk.subarray(start, newline));
        this.flushLine(at);
      }
      start = newline + 1;
    }
  }

  /** Emits what is left when the stream ends without a final newline. */
  end(): void {
    if (this.total > 0) this.flushLine(new Date());
  }

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    this.total += piece.length;
    // Keep up to 3 bytes past the limit so the cut can step back to a character boundary.
    const room = this.maxBytes + 3 - this.kept;
    if (room <= 0) return;
    const taken = piece.length <= room ? piece : piece.subarray(0, room);
    this.parts.push(Buffer.from(taken));
    this.kept += taken.length;
  }

  private flushLine(at: Date): void {
    let bytes = Buffer.concat(this.parts, this.kept);
    const total = this.total;
    this.parts = [];
    this.kept = 0;
    this.total = 0;
    if (total > this.maxBytes) {
      const cut = utf8CutPoint(bytes, this.maxBytes);
      this.emit(`${bytes.subarray(0, cut).toString("utf8")}…[truncated ${total - cut} bytes]`, at);
      return;
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === 13) bytes = bytes.subarray(0, bytes.length - 1);
    this.emit(bytes.toString("utf8"), at);
  }
}
