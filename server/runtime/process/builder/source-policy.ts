import "server-only";
import dns from "node:dns";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { resolveDataDir } from "@/server/config/data-dir";
import { resolveWorkDir } from "@/server/config/work-dir";
import type { ServiceSource } from "./fetched-source";
import { displayGitUrl, resolveGitUrl } from "./git-url";

/**
 * Which sources Slipway may read at all, whoever asks: the one rule, called at validation (service
 * create/update, manifest apply and dry run), at the engine's precheck and again at fetch time (a
 * symlink can change in between). Reading with the service's own rights is fetch-path/fetch-git's job;
 * this refuses what no service may read even where its user could (the console's own folders when
 * it is not root, a git server on this machine or a private network).
 */

/** A refused source: which field of the source, and a sentence that names the fix. */
export type SourceProblem = { field: "path" | "git"; message: string };

/** `examples/` of the checkout: the README's journeys deploy from there. */
const defaultRoots = () => [path.join(/*turbopackIgnore: true*/ process.cwd(), "examples")];

/**
 * SLIPWAY_SOURCE_ROOTS: folders a path source (or a local git repository) must be inside, separated by
 * the platform's path-list separator (":" on Linux, like PATH). Unset or empty: the checkout's examples
 * folder. "none": no path sources at all. Relative entries are resolved against the console's folder.
 */
export function sourceRoots(raw = process.env.SLIPWAY_SOURCE_ROOTS): string[] {
  if (raw === undefined || raw.trim() === "") return defaultRoots();
  if (raw.trim() === "none") return [];
  return raw
    .split(path.delimiter)
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => path.resolve(/*turbopackIgnore: true*/ process.cwd(), r));
}

/**
 * Folders of this console that no source may be or contain, beyond the configured data and work
 * folders (a runtime started with other folders registers them). On globalThis: the instrumentation
 * bundle and route bundles do not share module state.
 */
const registry = globalThis as typeof globalThis & { __slipwayFolders?: Set<string> };

export function protectSlipwayFolders(...dirs: string[]): void {
  registry.__slipwayFolders ??= new Set();
  for (const d of dirs) registry.__slipwayFolders.add(path.resolve(d));
}

function slipwayFolders(): string[] {
  const checkout = process.cwd();
  let secrets: string[] = [];
  try {
    // The checkout's .env files hold the console's own settings (DATABASE_URL, AUTH_SECRET…).
    secrets = fs.readdirSync(/*turbopackIgnore: true*/ checkout).filter((n) => n.startsWith(".env")).map((n) => path.join(/*turbopackIgnore: true*/ checkout, n));
  } catch {
    // an unreadable checkout has nothing to list
  }
  return [resolveDataDir(), resolveWorkDir(), path.join(checkout, ".slipway"), ...secrets, ...(registry.__slipwayFolders ?? [])];
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Where a path really is: symlinks resolved in its longest existing part, the rest appended (a folder
 * that does not exist yet is judged by where it would be; fetching it fails later with "does not exist").
 */
async function realLocation(abs: string): Promise<string> {
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(await fs.promises.realpath(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

const rootsSetting = () => process.env.SLIPWAY_SOURCE_ROOTS?.trim() || `unset, so ${defaultRoots()[0]}`;

/**
 * A local folder (a path source, or a git repository given as a path or file:// URL) is allowed when,
 * after resolving symlinks, it is inside an allowed root and is neither inside nor around one of
 * Slipway's own folders. Returns the real path to read, or the problem.
 */
export async function checkLocalFolder(given: string, abs: string, field: "path" | "git"): Promise<{ real: string } | { problem: SourceProblem }> {
  const name = `source.${field}`;
  const real = await realLocation(abs);
  const resolved = path.resolve(abs);
  const shown = real === given ? given : `${given} (${real === resolved ? "resolved to" : "really"} ${real})`;
  for (const folder of slipwayFolders()) {
    const own = await realLocation(folder);
    if (isInside(real, own) || isInside(own, real)) {
      const how = isInside(real, own) ? "is inside" : "contains";
      return { problem: { field, message: `${name} ${shown} ${how} Slipway's own ${own}: a source may never read the console's data, work folder or secrets; put the app in a folder of its own` } };
    }
  }
  const roots = sourceRoots();
  for (const root of roots) if (isInside(real, await realLocation(root))) return { real };
  const fix = roots.length === 0 ? "path sources are turned off on this console (SLIPWAY_SOURCE_ROOTS=none): use a git source" : "put the app under one of them or ask the operator to add its folder";
  return { problem: { field, message: `${name} ${shown} is outside the allowed source roots (SLIPWAY_SOURCE_ROOTS=${rootsSetting()}): ${fix}` } };
}

// ---------------------------------------------------------------------------------------------

/** Loopback, private, link-local, CGNAT, unique-local, multicast and reserved ranges (IPv4-mapped IPv6 is checked against the IPv4 rules). */
const PRIVATE = (() => {
  const list = new net.BlockList();
  const v4: [string, number][] = [
    ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
    ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 4], ["240.0.0.0", 4],
  ];
  const v6: [string, number][] = [["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["fec0::", 10], ["ff00::", 8], ["64:ff9b::", 96], ["64:ff9b:1::", 48]];
  for (const [a, p] of v4) list.addSubnet(a, p, "ipv4");
  for (const [a, p] of v6) list.addSubnet(a, p, "ipv6");
  return list;
})();

const familyOf = (address: string) => (net.isIPv6(address) ? "ipv6" : "ipv4");

function ownAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) for (const i of list ?? []) out.add(i.address.toLowerCase());
  return out;
}

/** "this machine", "a private network address"… or null for a public address. */
function whyPrivate(address: string): string | null {
  if (PRIVATE.check(address, familyOf(address))) return "a loopback, private or link-local address";
  return ownAddresses().has(address.toLowerCase()) ? "an address of this machine" : null;
}

/**
 * SLIPWAY_GIT_PRIVATE_HOSTS: git hosts that may be on this machine or a private network, comma-separated:
 * host names, IP addresses or CIDR ranges (`git.internal, 10.1.0.0/16`); `*` allows every host.
 */
type PrivateAllowance = { any: boolean; names: Set<string>; ranges: net.BlockList };

export function privateGitHosts(raw = process.env.SLIPWAY_GIT_PRIVATE_HOSTS): PrivateAllowance {
  const allowance: PrivateAllowance = { any: false, names: new Set(), ranges: new net.BlockList() };
  for (const entry of (raw ?? "").split(",").map((e) => e.trim().toLowerCase()).filter(Boolean)) {
    const cidr = /^([^/]+)\/(\d{1,3})$/.exec(entry);
    const bare = entry.replace(/^\[(.*)\]$/, "$1");
    if (entry === "*") allowance.any = true;
    else if (cidr && net.isIP(cidr[1])) allowance.ranges.addSubnet(cidr[1], Number(cidr[2]), familyOf(cidr[1]));
    else if (net.isIP(bare)) allowance.ranges.addAddress(bare, familyOf(bare));
    else allowance.names.add(entry);
  }
  return allowance;
}

/** The host of a git URL (`https://host/…`, `ssh://user@[::1]:22/…`, `user@host:path`), lowercased, without brackets. */
function hostOf(url: string): string | null {
  const scp = /^[\w.-]+@([\w.-]+):/.exec(url);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return scp[1].toLowerCase();
  try {
    return new URL(url).hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1") || null;
  } catch {
    return null;
  }
}

async function addressesOf(host: string): Promise<string[]> {
  if (net.isIP(host)) return [host];
  if (host === "localhost" || host.endsWith(".localhost")) return ["127.0.0.1", "::1"];
  try {
    return (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    // No address now: nothing to refuse here; git reports that it cannot resolve the host.
    return [];
  }
}

/** The folder of a git URL that names a local repository (a path or file://), null for a remote one. */
export function localGitPath(url: string): string | null | "invalid" {
  if (path.isAbsolute(url)) return url;
  if (!/^file:/i.test(url)) return null;
  try {
    return fileURLToPath(url);
  } catch {
    return "invalid";
  }
}

/**
 * A git source, judged: a local path or file:// URL is a local folder (the rule above); a remote URL
 * is refused when any address its host resolves to is this machine or a private range, unless
 * allowed. `pin`: for an http(s) URL whose host name was resolved, the addresses that were judged, as
 * curl's resolve entry ("host:port:addr,…"), so git connects to exactly those (no second DNS answer);
 * `unresolved`: the host name had no address at all.
 */
export type GitJudgement = { problem: SourceProblem | null; pin: string | null; unresolved?: string };

export async function judgeGitSource(git: string, baseDir: string): Promise<GitJudgement> {
  const url = resolveGitUrl(git, baseDir);
  const local = localGitPath(url);
  if (local === "invalid") return { problem: { field: "git", message: `source.git ${displayGitUrl(url)} is not a usable file:// URL: write it as file:///absolute/path/to/repo` }, pin: null };
  if (local !== null) {
    const checked = await checkLocalFolder(git, local, "git");
    return { problem: "problem" in checked ? checked.problem : null, pin: null };
  }
  const host = hostOf(url);
  if (!host) return { problem: { field: "git", message: `source.git ${displayGitUrl(url)} names no host: write it as https://host/owner/repo.git or user@host:owner/repo.git` }, pin: null };
  const allowance = privateGitHosts();
  if (allowance.any || allowance.names.has(host)) return { problem: null, pin: null };
  const addresses = await addressesOf(host);
  for (const address of addresses) {
    const why = whyPrivate(address);
    if (!why || allowance.ranges.check(address, familyOf(address))) continue;
    const at = address === host ? address : `${host} (${address})`;
    return {
      problem: {
        field: "git",
        message: `source.git ${displayGitUrl(url)} points at ${at}, ${why}: Slipway does not fetch from this machine or a private network unless the operator allows the host in SLIPWAY_GIT_PRIVATE_HOSTS`,
      },
      pin: null,
    };
  }
  // `unresolved`: a name with no address now; git would look it up again itself, unpinned.
  return { problem: null, pin: curlResolve(url, host, addresses), ...(addresses.length === 0 ? { unresolved: host } : {}) };
}

function curlResolve(url: string, host: string, addresses: string[]): string | null {
  const m = /^(https?):\/\//i.exec(url);
  if (!m || net.isIP(host) || addresses.length === 0) return null;
  const port = new URL(url).port || (m[1].toLowerCase() === "https" ? "443" : "80");
  return `${host}:${port}:${addresses.map((a) => (net.isIPv6(a) ? `[${a}]` : a)).join(",")}`;
}

export async function checkGitSource(git: string, baseDir: string): Promise<SourceProblem | null> {
  return (await judgeGitSource(git, baseDir)).problem;
}

/** The one check of a service's source; `baseDir` resolves relative paths (the console's folder by default). */
export async function checkSource(source: ServiceSource, baseDir = process.cwd()): Promise<SourceProblem | null> {
  if ("path" in source) {
    const checked = await checkLocalFolder(source.path, path.resolve(/*turbopackIgnore: true*/ baseDir, source.path), "path");
    return "problem" in checked ? checked.problem : null;
  }
  return checkGitSource(source.git, baseDir);
}
