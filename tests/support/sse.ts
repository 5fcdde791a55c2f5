import superjson from "superjson";
import { TERMINAL } from "@/server/engine/deployment-status";

/**
 * Reads a tRPC subscription's server-sent events over plain HTTP until `done(value)` says so: the
 * test waits for a state the server pushes, never for a fixed time.
 */
export async function waitForPushed<T>(opts: {
  baseUrl: string;
  path: string;
  input: unknown;
  headers: Record<string, string>;
  done: (value: T) => boolean;
  timeoutMs: number;
}): Promise<T> {
  const url = `${opts.baseUrl}/api/trpc/${opts.path}?input=${encodeURIComponent(JSON.stringify(superjson.serialize(opts.input)))}`;
  const abort = AbortSignal.timeout(opts.timeoutMs);
  const res = await fetch(url, { headers: { ...opts.headers, accept: "text/event-stream" }, signal: abort });
  if (!res.ok || !res.body) throw new Error(`${opts.path}: HTTP ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${opts.path}: stream ended before the state was reached`);
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trimStart())
          .join("\n");
        // tRPC's own events (connected, ping, return, serialized-error) carry an event name; values do not.
        const event = block.split("\n").find((l) => l.startsWith("event:"));
        if (event?.includes("serialized-error")) throw new Error(`${opts.path}: ${data}`);
        if (!data || (event && event.trim() !== "event: message")) continue;
        let parsed: unknown;
        try {
          parsed = superjson.deserialize(JSON.parse(data));
        } catch {
          continue;
        }
        if (opts.done(parsed as T)) return parsed as T;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

export type EndedDeployment = { deployment: { status: string; message: string | null } };

/** Watches a deployment over SSE (deployment.watch) until it reaches a terminal status; resolves with that state. */
export function waitForDeploymentEnd(opts: { baseUrl: string; deploymentId: string; cookie: string; timeoutMs?: number }): Promise<EndedDeployment> {
  return waitForPushed<EndedDeployment>({
    baseUrl: opts.baseUrl,
    path: "deployment.watch",
    input: { deploymentId: opts.deploymentId },
    headers: { cookie: opts.cookie },
    done: (v) => (TERMINAL as readonly string[]).includes(v.deployment.status),
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
}
