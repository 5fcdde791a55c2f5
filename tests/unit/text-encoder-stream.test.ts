/**
 * The console's TextEncoderStream (server/api/text-encoder-stream.ts) against Node's own, byte for
 * byte, over random text cut into random chunks: surrogate pairs split across chunks, lone
 * surrogates anywhere (first or last in a chunk, or the stream), empty chunks, non-ASCII text.
 */
import { describe, expect, it } from "vitest";
import { FastTextEncoderStream } from "@/server/api/text-encoder-stream";
import { seededRandom } from "../support/seeded-random";

async function encodeAll(stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<string> }, chunks: string[]): Promise<Buffer> {
  const out: Uint8Array[] = [];
  const reading = (async () => {
    const reader = stream.readable.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      out.push(value);
    }
  })();
  const writer = stream.writable.getWriter();
  for (const c of chunks) await writer.write(c);
  await writer.close();
  await reading;
  return Buffer.concat(out);
}


const PIECES = ["a", "data: ", "{\"x\":1}", "\n", "é", "日本", "🎉", "\ud83c", "\udf89", "\ud800", "\udc00", "\uFFFD", ""];

describe("FastTextEncoderStream", () => {
  it("writes exactly what Node's TextEncoderStream writes, however the text is chunked", async () => {
    const rnd = seededRandom(11);
    for (let round = 0; round < 300; round++) {
      const chunks = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () =>
        Array.from({ length: Math.floor(rnd() * 5) }, () => PIECES[Math.floor(rnd() * PIECES.length)]).join(""),
      );
      expect(await encodeAll(new FastTextEncoderStream(), chunks), JSON.stringify(chunks)).toEqual(await encodeAll(new TextEncoderStream(), chunks));
    }
  });

  it("encodes a large ASCII chunk and one with multi-byte characters whole", async () => {
    const big = `data: ${"x".repeat(200_000)}\n`;
    expect((await encodeAll(new FastTextEncoderStream(), [big])).toString()).toBe(big);
    const mixed = `${"é".repeat(1000)}${"🎉".repeat(1000)}`;
    expect((await encodeAll(new FastTextEncoderStream(), [mixed])).toString()).toBe(mixed);
  });
});
