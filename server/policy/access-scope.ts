import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";
import type { Permission } from "./policy";

/** One authorization a stream relied on: what it asked for, on which resource, in which organization. */
export type AccessCheck = { kind: "org" | "project" | "environment" | "service"; id: string; permission: Permission; orgId: string };

const scope = new AsyncLocalStorage<Map<string, AccessCheck>>();

/**
 * Called by every require* check (access.ts): inside a stream's scope it remembers the check, so the
 * stream can be asked again when access changes (server/api/stream-guard.ts). Elsewhere it does nothing.
 */
export function noteAccessCheck(check: AccessCheck): void {
  scope.getStore()?.set(`${check.kind}:${check.id}:${check.permission}`, check);
}

/** Runs `fn` (a step of a stream) so that the access checks it makes are remembered in `checks`. */
export function withinAccessScope<T>(checks: Map<string, AccessCheck>, fn: () => T): T {
  return scope.run(checks, fn);
}
