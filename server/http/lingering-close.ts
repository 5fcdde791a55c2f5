import "server-only";
import type { Socket } from "node:net";

/** How long a connection whose body was refused is still read (and discarded) after its answer. */
const LINGER_MS = 2_000;

/**
 * Closes a connection whose request body is refused without losing the answer. Closing a socket with
 * unread bytes makes the kernel send RST, which can discard the 413 before the client has read it (what
 * nginx's lingering_close avoids). Node's HTTP server calls `destroySoon` once the answer is written:
 * here that ends the write side (FIN after the answer) and keeps the connection, reading and dropping
 * what still arrives, for LINGER_MS at most; then it is destroyed. Nothing is kept, so memory stays flat.
 */
export function closeLingering(socket: Socket): void {
  socket.destroySoon = function lingeringDestroySoon(this: Socket) {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once("close", () => clearTimeout(timer));
    this.resume();
  };
}
