import "server-only";
import { bus } from "./event-bus";

/**
 * Says, after the change committed, that who may do what in an organization changed (a token
 * revoked, a member removed or given another role): open streams that depend on it ask again
 * (server/api/stream-guard.ts), in this console and, through the PostgreSQL bridge, in the others.
 */
export function accessChanged(orgId: string): void {
  bus.emit("access", { orgId });
}
