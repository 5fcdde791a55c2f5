import "server-only";
import { headers } from "next/headers";
import { getDb } from "@/db/client";
import { currentUser } from "@/server/auth/auth";
import { clientAddress } from "@/server/auth/client-address";
import type { ServiceCtx } from "@/server/auth/actor";
import { AppError } from "@/server/errors/app-error";

export type ActionResult<T> = { ok: true; data: T } | { ok: false; error: string };

/**
 * Every server action is a public POST endpoint: it runs with the signed-in person's context, and
 * the service it calls checks their role on the resource. AppErrors become a message for the page.
 */
export async function runAction<T>(fn: (ctx: ServiceCtx) => Promise<T>): Promise<ActionResult<T>> {
  const user = await currentUser();
  if (!user) return { ok: false, error: "sign in first" };
  const ctx: ServiceCtx = { db: await getDb(), actor: { userId: user.id, email: user.email, token: null }, meta: { source: "ui", ip: clientAddress(await headers()) } };
  try {
    return { ok: true, data: await fn(ctx) };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, error: err.message };
    throw err;
  }
}
