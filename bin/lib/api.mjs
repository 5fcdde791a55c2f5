// The tRPC client the CLI talks through, and the errors it turns into one clear line.
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { EventSource } from "eventsource";
import superjson from "superjson";

export class CliError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

const trimSlash = (url) => url.replace(/\/+$/, "");

/** A client for the console at `url`: queries and mutations over HTTP, subscriptions over SSE (EventSource ponyfill: Node 20 has none). */
export function makeClient({ url, token }) {
  const endpoint = `${trimSlash(url)}/api/trpc`;
  const headers = { "x-slipway-client": "cli", ...(token ? { authorization: `Bearer ${token}` } : {}) };
  return createTRPCClient({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: endpoint,
          transformer: superjson,
          EventSource,
          // A browser EventSource cannot send headers; this one can, through its fetch.
          eventSourceOptions: () => ({ fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers ?? {}), ...headers } }) }),
        }),
        false: httpLink({ url: endpoint, transformer: superjson, headers }),
      }),
    ],
  });
}

/** The innermost system error code (ECONNREFUSED, ENOTFOUND …) of a failed request, if any. */
function networkCode(err) {
  for (let e = err; e; e = e.cause) if (typeof e.code === "string" && /^E[A-Z]+/.test(e.code)) return e.code;
  return null;
}

export const errorCode = (err) => (err instanceof TRPCClientError ? (err.data?.code ?? null) : null);
export const fieldErrorsOf = (err) => (err instanceof TRPCClientError ? (err.data?.fieldErrors ?? null) : null);

/** One line (or a few, for a list of problems) a person can act on. */
export function describeError(err, { url, loggingIn = false } = {}) {
  if (err instanceof CliError) return err.message;
  if (err instanceof TRPCClientError) {
    const code = err.data?.code;
    if (code === "UNAUTHORIZED") return loggingIn ? err.message : `${err.message}: run \`slipway login\` to sign in again`;
    if (code) return err.message;
    const net = networkCode(err);
    if (net) return `cannot reach Slipway at ${url}: ${net}`;
    if (/fetch failed/i.test(err.message)) return `cannot reach Slipway at ${url}: ${err.cause?.cause?.message ?? err.message}`;
    return `unexpected answer from ${url} (is it a Slipway console?): ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
