import "server-only";
import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";

/**
 * Keep-alive connection pools to upstream instances: one http.Agent per host:port, shared by every
 * route that points there and reference-counted by them. When no route references an instance any
 * more its agent is retired: idle sockets are closed at once and busy ones are closed when their
 * request ends, so requests in flight to an old instance during a rollout finish normally.
 */

/** Concurrent connections to one instance; further requests queue in the agent. */
export const MAX_SOCKETS_PER_UPSTREAM = 512;
/** Idle keep-alive connections kept per instance. */
export const MAX_FREE_SOCKETS_PER_UPSTREAM = 128;
/**
 * Idle keep-alive connections are closed after this long (set when a socket goes idle, see
 * keepSocketAlive; the agent destroys a free socket whose timeout fires), so the router gives a connection up before
 * the instance does (Node's default keepAliveTimeout is 5 s) and does not reuse a half-closed one.
 */
export const IDLE_SOCKET_TIMEOUT_MS = 4_000;

/** Set by the proxy on an upstream socket from the instance's `Keep-Alive: timeout=N` (ms). */
export const KEEP_ALIVE_HINT = Symbol("slipway.keepAliveHint");
export type HintedSocket = net.Socket & { [KEEP_ALIVE_HINT]?: number };

/** Margin kept under an instance's announced keep-alive timeout (Node's own agent uses 1 s too). */
const HINT_MARGIN_MS = 1_000;

export class UpstreamAgent extends http.Agent {
  retired = false;

  constructor() {
    super({
      keepAlive: true,
      keepAliveMsecs: 1_000,
      maxSockets: MAX_SOCKETS_PER_UPSTREAM,
      maxFreeSockets: MAX_FREE_SOCKETS_PER_UPSTREAM,
      scheduling: "lifo",
    });
  }

  /**
   * Called when a response ends: may the socket go back to the pool? Same as Node's, except that the
   * instance's keep-alive hint comes from the proxy's header scan (Node's reads `res.headers`, which
   * builds a header object on every response).
   */
  override keepSocketAlive(socket: Duplex): boolean {
    if (this.retired || !(socket instanceof net.Socket)) return false;
    socket.setKeepAlive(true, 1_000);
    socket.unref();
    let timeout = IDLE_SOCKET_TIMEOUT_MS;
    const hint = (socket as HintedSocket)[KEEP_ALIVE_HINT];
    if (hint !== undefined && hint >= 0) {
      if (hint - HINT_MARGIN_MS <= 0) return false;
      if (hint - HINT_MARGIN_MS < timeout) timeout = hint - HINT_MARGIN_MS;
    }
    if (socket.timeout !== timeout) socket.setTimeout(timeout);
    return true;
  }

  /** True when it holds no socket, busy or idle. */
  isEmpty(): boolean {
    for (const key in this.sockets) if ((this.sockets[key]?.length ?? 0) > 0) return false;
    for (const key in this.freeSockets) if ((this.freeSockets[key]?.length ?? 0) > 0) return false;
    return true;
  }

  retire(): void {
    this.retired = true;
    for (const key in this.freeSockets) for (const s of this.freeSockets[key] ?? []) s.destroy();
  }
}

export function upstreamKey(host: string, port: number): string {
  return `${host}:${port}`;
}

export class UpstreamPool {
  private readonly live = new Map<string, { agent: UpstreamAgent; refs: number }>();
  /** Retired agents that may still carry requests in flight; pruned as they empty. */
  private readonly retired = new Set<UpstreamAgent>();

  acquire(host: string, port: number): UpstreamAgent {
    const key = upstreamKey(host, port);
    const entry = this.live.get(key);
    if (entry) {
      entry.refs++;
      return entry.agent;
    }
    const agent = new UpstreamAgent();
    this.live.set(key, { agent, refs: 1 });
    return agent;
  }

  release(host: string, port: number): void {
    const key = upstreamKey(host, port);
    const entry = this.live.get(key);
    if (!entry) return;
    if (--entry.refs > 0) return;
    this.live.delete(key);
    entry.agent.retire();
    for (const agent of this.retired) if (agent.isEmpty()) this.retired.delete(agent);
    if (!entry.agent.isEmpty()) this.retired.add(entry.agent);
  }

  /** Closes every connection, busy or idle (router shutdown). */
  destroy(): void {
    for (const { agent } of this.live.values()) agent.destroy();
    for (const agent of this.retired) agent.destroy();
    this.live.clear();
    this.retired.clear();
  }
}
