import "server-only";
import fs from "node:fs";
import path from "node:path";
import { sandboxCapabilities } from "../sandbox";
import { BuildFailure } from "./build-failure";

/** The unprivileged identity a source is read with. */
export type RunAs = { uid: number; gid: number };

/**
 * Who reads a source: the identity asked for, else the shared app user when the console is root,
 * else (not root: it cannot switch users) the console's own user — the non-isolated mode, where a
 * source can read whatever the console can, bar what source-policy refuses. Never root.
 */
export type FetchIdentity = { ids: RunAs | null; label: string };

export function fetchIdentity(runAs: RunAs | null | undefined): FetchIdentity {
  const user = sandboxCapabilities().user;
  const ids = runAs ?? (user ? { uid: user.uid, gid: user.gid } : null);
  if (ids?.uid === 0 || ids?.gid === 0 || (!ids && process.getuid?.() === 0)) {
    throw new BuildFailure("fetch", "a source is never read as root", "run the console as root only with an unprivileged app user (SLIPWAY_APP_USER)");
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
