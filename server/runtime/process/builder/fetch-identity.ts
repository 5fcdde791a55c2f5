import "server-only";
import fs from "node:fs";
import path from "node:path";
import { runAsIds, type RunAs } from "../sandbox";
import { BuildFailure } from "./build-failure";

export type { RunAs };

/**
 * Who reads a source: the service's own user (runAsIds refuses none or root where the console can
 * switch users), else (not root: it cannot switch) the console's own user — the non-isolated mode,
 * where a source can read whatever the console can, bar what source-policy refuses.
 */
export type FetchIdentity = { ids: RunAs | null; label: string };

export function fetchIdentity(runAs: RunAs | null | undefined): FetchIdentity {
  let ids: RunAs | null;
  try {
    ids = runAsIds(runAs ?? null);
  } catch {
    throw new BuildFailure("fetch", "a source is never read as root", "the engine gives every service its own user (SLIPWAY_SERVICE_UID_RANGE); this fetch came without one");
  }
  return ids ? { ids, label: `the service's user (uid ${ids.uid})` } : { ids: null, label: "the console's own user (Slipway does not run as root, so it cannot switch users)" };
}

/** spawn() options that run a child as the identity (libuv also drops the supplementary groups). */
export const spawnIds = (who: FetchIdentity) => (who.ids ? { uid: who.ids.uid, gid: who.ids.gid } : {});

/** What a fetch child may see of the console's environment: never its secrets (an app of the same user could read /proc/<pid>/environ). */
const PASSED = /^(PATH|LANG|TZ|SSL_CERT_FILE|SSL_CERT_DIR|GIT_SSL_CAINFO|GIT_SSH_COMMAND|(https?|no|all)_proxy|(HTTPS?|NO|ALL)_PROXY)$/;

export function fetchEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && PASSED.test(k)) env[k] = v;
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  return { ...env, LC_ALL: "C", LANGUAGE: "C", ...extra };
}

/** Gives a folder the console made to the identity, so its child can write there. */
export function giveTo(dir: string, who: FetchIdentity): void {
  if (who.ids) fs.chownSync(dir, who.ids.uid, who.ids.gid);
}

/** EACCES/EPERM from a child reading a source, told as what it is. */
export function permissionDenied(what: string, who: FetchIdentity, hint: string): BuildFailure {
  return new BuildFailure("fetch", `could not read ${what} as ${who.label}: permission denied`, hint);
}

/**
 * Git's home for an identity: `<cacheRoot>/.home/<uid>` (0700, its own), with a global config the
 * console writes (the identity cannot change it): local repositories owned by another user are
 * readable (safe.directory: reading them with the identity's rights is the point) and HTTP redirects
 * are not followed (a public server could send git to this machine or a private address).
 */
export function gitHome(cacheRoot: string, who: FetchIdentity): { home: string; config: string } {
  const base = path.join(cacheRoot, ".home");
  fs.mkdirSync(base, { recursive: true, mode: 0o755 });
  const config = path.join(base, "gitconfig");
  const text = "[safe]\n\tdirectory = *\n[http]\n\tfollowRedirects = false\n";
  if (!fs.existsSync(config) || fs.readFileSync(config, "utf8") !== text) {
    const tmp = `${config}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o644 });
    fs.renameSync(tmp, config);
  }
  const home = path.join(base, who.ids ? String(who.ids.uid) : "console");
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  giveTo(home, who);
  return { home, config };
}
