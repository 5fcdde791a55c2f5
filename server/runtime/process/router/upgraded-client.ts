import "server-only";
import type { Socket } from "node:net";
import { Duplex } from "node:stream";

/**
 * The client side of an upgraded connection (WebSocket) whose socket reads through `onread`: such a
 * socket emits no 'data', so the bytes its callback receives are fed here and this stream is what
 * the upgrade exchange pipes. Writes, ends and destroys go to the socket.
 */
export class UpgradedClient extends Duplex {
  constructor(private readonly socket: Socket) {
    super({ allowHalfOpen: socket.allowHalfOpen });
    socket.on("end", () => this.push(null));
    socket.on("error", (err) => this.destroy(err));
    socket.on("close", () => this.destroy());
  }

  /** Bytes read from the socket (copied: the read buffer is shared). False: stop reading for now. */
  feed(chunk: Buffer): boolean {
    return this.push(Buffer.from(chunk));
  }

  override _read(): void {
    // Reading may have stopped because feed() returned false (which does not mark the socket paused):
    // resume() restarts an `onread` socket's reads whenever they are stopped.
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }
}
