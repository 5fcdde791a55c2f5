import "server-only";
import { z } from "zod";
import type { Db } from "@/db/client";
import { createContext, svc, type SessionUser } from "@/server/api/context";
import { AppError } from "@/server/errors/app-error";
import { downloadLogs } from "./download-logs";
import { logDownloadInput } from "./log-schemas";

const STATUS: Record<AppError["code"], number> = { BAD_REQUEST: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, TOO_MANY_REQUESTS: 429 };
const text = (status: number, body: string) => new Response(`${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

/**
 * GET /api/logs/<serviceId>/download?deploymentId=&instanceId=&stream=&text=&regex=&from=&to=
 * Authenticates like /api/trpc (a bearer token wins over the session cookie; a bad token is 401),
 * authorizes through the same service function, then streams the lines as text/plain.
 */
export async function logDownloadResponse(opts: { db: Db; request: Request; serviceId: string; sessionUser: () => Promise<SessionUser> }): Promise<Response> {
  const ctx = await createContext({ db: opts.db, headers: opts.request.headers, sessionUser: opts.sessionUser });
  if (ctx.rejectedToken) return text(401, "the API token is unknown or revoked");
  if (!ctx.actor) return text(401, "sign in first");
  const query = Object.fromEntries(new URL(opts.request.url).searchParams);
  const parsed = logDownloadInput.safeParse({ ...query, serviceId: opts.serviceId });
  if (!parsed.success) return text(400, parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("\n"));
  const chunks = downloadLogs({ ctx: svc({ ...ctx, actor: ctx.actor }), input: parsed.data });
  try {
    await chunks.next(); // access, range and pattern checks happen before the first (empty) chunk
  } catch (err) {
    if (err instanceof AppError) return text(STATUS[err.code], err.message);
    throw err;
  }
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (err) {
        console.error("[slipway] log download failed:", err instanceof Error ? err.message : err);
        controller.error(err);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return new Response(body, {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "content-disposition": `attachment; filename="logs-${z.uuid().parse(opts.serviceId).slice(0, 8)}-${stamp}.txt"`,
      "cache-control": "no-store",
    },
  });
}
