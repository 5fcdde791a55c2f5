import "server-only";
import { asc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { memberships, organizations } from "@/db/schema";
import type { RequestMeta } from "@/server/auth/actor";
import { AppError } from "@/server/errors/app-error";
import { createToken } from "@/server/tokens/create-token";
import { verifyCredentials } from "@/server/users/verify-credentials";
import type { CliLoginInput } from "./cli-auth-schemas";

/** Keeps what identifies a machine and drops the rest, so a token name stays printable. */
function tokenName(hostname: string | undefined): string {
  const host = (hostname ?? "").replace(/[^A-Za-z0-9._-]/g, "").slice(0, 60);
  return `cli@${host || "cli"}`;
}

/**
 * The CLI's sign-in: checks email + password (rate-limited like the sign-in page), picks the
 * organization and creates an API token for it with the person's role there, through createToken
 * (audited). The token is returned in clear this once.
 */
export async function cliLogin({ db, input, meta }: { db: Db; input: CliLoginInput; meta: RequestMeta }) {
  const check = await verifyCredentials({ db, email: input.email, password: input.password, ip: meta.ip ?? "unknown" });
  if (!check.ok && check.reason === "rate_limited") {
    throw new AppError("TOO_MANY_REQUESTS", `too many failed sign-ins for this email; try again in ${Math.ceil(check.retryAfterSeconds / 60)} minute(s)`);
  }
  if (!check.ok) throw new AppError("UNAUTHORIZED", "wrong email or password");
  const user = check.user;
  const orgs = await db
    .select({ id: organizations.id, slug: organizations.slug, name: organizations.name, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(eq(memberships.userId, user.id))
    .orderBy(asc(organizations.slug));
  if (orgs.length === 0) throw new AppError("BAD_REQUEST", "you are not a member of any organization yet; create one in the console first");
  const slugs = orgs.map((o) => o.slug).join(", ");
  let org = orgs[0];
  if (input.org) {
    const wanted = orgs.find((o) => o.slug === input.org);
    if (!wanted) throw new AppError("BAD_REQUEST", `you are not a member of an organization "${input.org}"; yours: ${slugs}`, { org: [`choose one of: ${slugs}`] });
    org = wanted;
  } else if (orgs.length > 1) {
    throw new AppError("BAD_REQUEST", `you belong to several organizations; choose one with --org: ${slugs}`, { org: [`choose one of: ${slugs}`] });
  }
  const actor = { userId: user.id, email: user.email, token: null };
  const created = await createToken({ ctx: { db, actor, meta }, input: { orgId: org.id, name: tokenName(input.hostname), role: org.role } });
  return { token: created.token, tokenId: created.id, org: { slug: org.slug, name: org.name }, role: org.role };
}
