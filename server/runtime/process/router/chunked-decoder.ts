import "server-only";

/**
 * Decodes a chunked request body (RFC 9112 §7.1) incrementally: chunk data is handed on as slices
 * of the input, chunk extensions and trailers are read and dropped.
 */

/** More input is needed. */
export const CHUNKED_MORE = -1;
/** The body is malformed: the connection cannot be trusted any more. */
export const CHUNKED_ERROR = -2;

const MAX_LINE = 4 * 1024;
const MAX_TRAILERS = 16 * 1024;

const S_SIZE = 0;
const S_DATA = 1;
const S_DATA_END = 2;
const S_TRAILER = 3;
const S_DONE = 4;

export class ChunkedDecoder {
  private state = S_SIZE;
  private remaining = 0;
  private line = "";
  private trailerBytes = 0;

  constructor(private readonly onData: (chunk: Buffer) => void) {}

  /**
   * Feeds `buf` from `start`, handing chunk data to `onData`. Returns CHUNKED_MORE when the body continues, CHUNKED_ERROR when it is
   * malformed, or the offset just past the body's end (bytes after it belong to the next request).
   */
  feed(buf: Buffer, start: number): number {
    let i = start;
    while (i < buf.length) {
      if (this.state === S_DATA) {
        const n = Math.min(this.remaining, buf.length - i);
        this.onData(buf.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = S_DATA_END;
        continue;
      }
      const nl = buf.indexOf(10, i);
      if (nl === -1) {
        this.line += buf.toString("latin1", i);
        return this.line.length > MAX_LINE ? CHUNKED_ERROR : CHUNKED_MORE;
      }
      let line = this.line + buf.toString("latin1", i, nl);
      this.line = "";
      i = nl + 1;
      if (line.length > MAX_LINE || !line.endsWith("\r")) return CHUNKED_ERROR;
      line = line.slice(0, -1);
      if (this.state === S_DATA_END) {
        if (line !== "") return CHUNKED_ERROR;
        this.state = S_SIZE;
      } else if (this.state === S_SIZE) {
        const semi = line.indexOf(";");
        const hex = (semi === -1 ? line : line.slice(0, semi)).trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) return CHUNKED_ERROR;
        const size = parseInt(hex, 16);
        if (size === 0) this.state = S_TRAILER;
        else {
          this.remaining = size;
          this.state = S_DATA;
        }
      } else if (this.state === S_TRAILER) {
        if (line === "") {
          this.state = S_DONE;
          return i;
        }
        this.trailerBytes += line.length;
        if (this.trailerBytes > MAX_TRAILERS) return CHUNKED_ERROR;
      } else {
        return CHUNKED_ERROR;
      }
    }
    return CHUNKED_MORE;
  }
}
