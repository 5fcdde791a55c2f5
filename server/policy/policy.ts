/**
 * The one place that decides permissions. Every procedure and server action goes through
 * `assertCan` (via the access helpers) before it touches a resource.
 */
export const ROLES = ["owner", "admin", "developer", "viewer"] as const;
export type Role = (typeof ROLES)[number];
export type EnvironmentMode = "production" | "staging" | "development" | "preview";

const RANK: Record<Role, number> = { viewer: 0, developer: 1, admin: 2, owner: 3 };

export const roleAtLeast = (role: Role, min: Role) => RANK[role] >= RANK[min];
export const lowerRole = (a: Role, b: Role): Role => (RANK[a] <= RANK[b] ? a : b);

export type Permission =
  | "org.read"
  | "org.update"
  | "member.manage"
  | "owner.transfer"
  | "project.write"
  | "environment.write"
  | "service.write"
  | "source.path"
  | "deployment.run"
  | "variable.write"
  | "token.create"
  | "token.revokeAny"
  | "audit.read";

/** Permissions that depend on the environment's mode: production is for admins and owners only. */
const ENVIRONMENT_SCOPED = new Set<Permission>(["service.write", "deployment.run", "variable.write"]);

const MIN_ROLE: Record<Permission, Role> = {
  "org.read": "viewer",
  "audit.read": "viewer",
  "token.create": "viewer",
  "service.write": "developer",
  "deployment.run": "developer",
  "variable.write": "developer",
  "org.update": "admin",
  "member.manage": "admin",
  "project.write": "admin",
  // A folder on the console's machine: only people trusted with the machine's layout choose one.
  "source.path": "admin",
  "environment.write": "admin",
  "token.revokeAny": "admin",
  "owner.transfer": "owner",
};

export function can(role: Role, permission: Permission, scope?: { mode?: EnvironmentMode }): boolean {
  if (ENVIRONMENT_SCOPED.has(permission) && scope?.mode === "production") return roleAtLeast(role, "admin");
  return roleAtLeast(role, MIN_ROLE[permission]);
}

const DESCRIBE: Record<Permission, string> = {
  "org.read": "read this organization",
  "audit.read": "read the audit log",
  "token.create": "create API tokens",
  "service.write": "change services here",
  "source.path": "set a service's source to a folder on the console's machine (use a git source)",
  "deployment.run": "deploy here",
  "variable.write": "change variables here",
  "org.update": "change this organization",
  "member.manage": "manage members and invitations",
  "project.write": "create, change or delete projects and environments",
  "environment.write": "create, change or delete environments",
  "token.revokeAny": "revoke other members' tokens",
  "owner.transfer": "transfer ownership",
};

export function denialMessage(role: Role, permission: Permission, scope?: { mode?: EnvironmentMode }): string {
  const where = scope?.mode === "production" && ENVIRONMENT_SCOPED.has(permission) ? " in a production environment" : "";
  return `your role (${role}) may not ${DESCRIBE[permission]}${where}`;
}
