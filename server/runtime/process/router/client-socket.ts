import "server-only";
import net, { type Socket } from "node:net";

/**
 * Client connections read through `onread` into one shared buffer, as the upstream side does: each
 * read then skips Node's Readable machinery (a 64 KiB allocation, a Buffer, push and 'data') — about
 * 2.5 µs of the router's ~40 µs of CPU per proxied request (bench/router.mjs).
 *
 * net.Server has no `onread` option, so the server is created with `pauseOnConnect` (nothing is read
 * yet) and the accepted handle is moved into a socket made with one. The handle move relies on
 * `socket._handle`, a private field unchanged since Node 0.x; when it is missing the original socket
 * is kept and read through 'data' (`rewrapWithOnread` returns null).
 */

/** Called with the byte count and the shared buffer (valid only during the call); false pauses. */
export type OnRead = (bytes: number, buffer: Buffer) => boolean;

type WithHandle = { _handle: object | null; _server: net.Server | null };

export const CLIENT_READ_BUFFER_BYTES = 64 * 1024;

export function rewrapWithOnread(accepted: Socket, server: net.Server, buffer: Buffer, onRead: OnRead): Socket | null {
  const old = accepted as unknown as WithHandle;
  const handle = old._handle;
  if (handle === null || typeof handle !== "object" || typeof (handle as { readStart?: unknown }).readStart !== "function") return null;
  old._handle = null;
  // The server counted the accepted socket; the new one takes its place in that count (its close
  // decrements it), so server.close() still waits for every connection.
  old._server = null;
  const socket = new net.Socket({ handle, onread: onreadOption(buffer, onRead) } as net.SocketConstructorOpts);
  (socket as unknown as WithHandle)._server = server;
  return socket;
}

/** net.Socket's `onread` option: reads land in `buffer` and go to `onRead`. */
function onreadOption(buffer: Buffer, onRead: OnRead): { buffer: Buffer; callback: (bytes: number, buf: Uint8Array) => boolean } {
  return { buffer, callback: (bytes: number, buf: Uint8Array) => onRead(bytes, buf as Buffer) };
}

/** The socket's peer address, IPv4-mapped IPv6 addresses as plain IPv4 ("" once the peer is gone). */
export function peerAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}
