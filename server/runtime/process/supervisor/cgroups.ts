import "server-only";
import fs from "node:fs";
import path from "node:path";

/**
 * Memory and CPU limits through cgroups, where the host lets us write them. cgroup v2: inside our own
 * cgroup (its `cgroup.controllers` must offer memory/cpu and we must be able to enable them in
 * `cgroup.subtree_control`); cgroup v1: the `memory` and `cpu` hierarchies. Each instance gets a group
 * `slipway/<name>`; where nothing is writable the caller gets a one-line reason and runs without limits.
 */

export type CgroupKind = "v1" | "v2";

export type LimitRequest = { name: string; memoryMb?: number; cpu?: number };

export type AppliedLimits = {
  ok: true;
  kind: CgroupKind;
  /** The instance's cgroup folders (one for v2; one per controller for v1). */
  paths: string[];
  /** Set when only part of the request could be applied. */
  note?: string;
  /** Moves a process (and so its future children) into the group. */
  addPid(pid: number): void;
  /** How many times the kernel OOM-killed a process of this group. */
  oomKills(): number;
  /** Removes the group once its processes are gone (retries for a few seconds while it is busy). */
  remove(): void;
};

export type Limits = AppliedLimits | { ok: false; reason: string };

export type CgroupBackend =
  | { kind: "v2"; parent: string; memory: boolean; cpu: boolean }
  | { kind: "v1"; memory: string | null; cpu: string | null }
  | { kind: "none"; reason: string };

/** The two files detection reads; injectable so detection can be tested against a fake tree. */
export type CgroupSource = { mountinfo: string; selfCgroup: string; pid: number };

const PARENT = "slipway";
const CPU_PERIOD_US = 100_000;

type Mount = { root: string; mountPoint: string; fsType: string; superOptions: string[] };

const unescape = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const l = left.split(" ");
    const r = right.split(" ");
    mounts.push({ root: unescape(l[3]), mountPoint: unescape(l[4]), fsType: r[0], superOptions: (r[2] ?? "").split(",") });
  }
  return mounts;
}

/** controller list ("" for the v2 line) → our cgroup path. */
function parseSelfCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (match) paths.set(match[1], match[2]);
  }
  return paths;
}

/** Where our own cgroup `own` appears below a mount whose root may itself be a sub-path (containers). */
function locate(mount: Mount, own: string): string {
  if (mount.root === "/") return path.join(mount.mountPoint, own);
  if (own === mount.root || own.startsWith(`${mount.root}/`)) return path.join(mount.mountPoint, own.slice(mount.root.length));
  return mount.mountPoint;
}

/** mkdir of one level (the parent always exists: a cgroup mount or our group); not recursive, which can spin on pseudo-filesystems. */
function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

const errorText = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;
const readWords = (file: string) => fs.readFileSync(file, "utf8").split(/\s+/).filter(Boolean);

function enableControllers(dir: string, wanted: string[]): void {
  const enabled = readWords(path.join(dir, "cgroup.subtree_control"));
  const missing = wanted.filter((c) => !enabled.includes(c));
  if (missing.length > 0) fs.writeFileSync(path.join(dir, "cgroup.subtree_control"), missing.map((c) => `+${c}`).join(" "));
}

/**
 * v2's "no internal processes" rule: controllers cannot be enabled below a non-root cgroup that holds
 * processes. When the console is alone in its cgroup (a systemd unit with Delegate=yes), it moves
 * itself into a `console` leaf, as delegated managers do, and the instances go beside it.
 */
function moveSelfToLeaf(base: string, pid: number): boolean {
  const procs = readWords(path.join(base, "cgroup.procs")).map(Number);
  if (procs.length === 0 || procs.some((p) => p !== pid)) return false;
  const leaf = path.join(base, "console");
  ensureDir(leaf);
  fs.writeFileSync(path.join(leaf, "cgroup.procs"), String(pid));
  return true;
}

function detectV2(mounts: Mount[], own: Map<string, string>, pid: number): CgroupBackend {
  const mount = mounts.find((m) => m.fsType === "cgroup2");
  if (!mount) return { kind: "none", reason: "no cgroup v2 mount" };
  const base = locate(mount, own.get("") ?? "/");
  let offered: string[];
  try {
    offered = readWords(path.join(base, "cgroup.controllers"));
  } catch (err) {
    return { kind: "none", reason: `cgroup v2: cannot read ${base}/cgroup.controllers (${errorText(err)})` };
  }
  const wanted = ["memory", "cpu"].filter((c) => offered.includes(c));
  if (wanted.length === 0) return { kind: "none", reason: `cgroup v2 at ${mount.mountPoint} offers no memory/cpu controller` };
  const parent = path.join(base, PARENT);
  try {
    try {
      enableControllers(base, wanted);
    } catch (err) {
      const busy = (err as NodeJS.ErrnoException).code === "EBUSY";
      if (!busy || base === mount.mountPoint || !moveSelfToLeaf(base, pid)) throw err;
      enableControllers(base, wanted);
    }
    ensureDir(parent);
    enableControllers(parent, wanted);
  } catch (err) {
    return { kind: "none", reason: `cgroup v2: cannot enable ${wanted.join("+")} below ${base} (${errorText(err)})` };
  }
  return { kind: "v2", parent, memory: wanted.includes("memory"), cpu: wanted.includes("cpu") };
}

function v1Parent(mounts: Mount[], controller: string, probeFile: string): { dir: string } | { reason: string } {
  const mount = mounts.find((m) => m.fsType === "cgroup" && m.superOptions.includes(controller));
  if (!mount) return { reason: `no cgroup v1 ${controller} hierarchy` };
  const dir = path.join(mount.mountPoint, PARENT);
  try {
    ensureDir(dir);
    fs.accessSync(path.join(dir, probeFile), fs.constants.W_OK);
    return { dir };
  } catch (err) {
    return { reason: `cgroup v1 ${controller} at ${mount.mountPoint} is not writable (${errorText(err)})` };
  }
}

function detectV1(mounts: Mount[]): CgroupBackend {
  const memory = v1Parent(mounts, "memory", "memory.limit_in_bytes");
  const cpu = v1Parent(mounts, "cpu", "cpu.cfs_quota_us");
  if ("reason" in memory && "reason" in cpu) return { kind: "none", reason: `${memory.reason}; ${cpu.reason}` };
  return { kind: "v1", memory: "dir" in memory ? memory.dir : null, cpu: "dir" in cpu ? cpu.dir : null };
}

let detected: CgroupBackend | undefined;

/** What this host lets us limit (creating the `slipway` parent groups on the way). Probed once unless `source` is given. */
export function detectCgroups(source?: CgroupSource): CgroupBackend {
  if (!source && detected) return detected;
  let backend: CgroupBackend;
  try {
    const src = source ?? {
      mountinfo: fs.readFileSync("/proc/self/mountinfo", "utf8"),
      selfCgroup: fs.readFileSync("/proc/self/cgroup", "utf8"),
      pid: process.pid,
    };
    const mounts = parseMountinfo(src.mountinfo);
    const v2 = detectV2(mounts, parseSelfCgroup(src.selfCgroup), src.pid);
    if (v2.kind !== "none") backend = v2;
    else {
      const v1 = detectV1(mounts);
      backend = v1.kind !== "none" ? v1 : { kind: "none", reason: `no writable cgroup for memory/cpu limits (${v2.reason}; ${v1.reason})` };
    }
  } catch (err) {
    backend = { kind: "none", reason: `cannot inspect cgroups: ${errorText(err)}` };
  }
  if (!source) detected = backend;
  return backend;
}

function removeDirs(dirs: string[], attemptsLeft = 50): void {
  const busy: string[] = [];
  for (const dir of dirs) {
    try {
      fs.rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EBUSY") busy.push(dir);
    }
  }
  // A group stays busy for a moment while the kernel finishes tearing its last process down.
  if (busy.length > 0 && attemptsLeft > 0) setTimeout(() => removeDirs(busy, attemptsLeft - 1), 100).unref();
}

function readCounter(file: string, key: string): number {
  try {
    const line = fs.readFileSync(file, "utf8").split("\n").find((l) => l.startsWith(`${key} `));
    return line ? Number(line.split(" ")[1]) : 0;
  } catch {
    return 0;
  }
}

const tryWrite = (file: string, value: string) => {
  try {
    fs.writeFileSync(file, value);
  } catch {
    // optional knob (swap accounting may be off)
  }
};

function applyV1(req: LimitRequest, name: string, backend: { memory: string | null; cpu: string | null }): { dirs: string[]; oomFile: string | null } {
  const dirs: string[] = [];
  let oomFile: string | null = null;
  if (req.memoryMb !== undefined && backend.memory) {
    const dir = path.join(backend.memory, name);
    ensureDir(dir);
    dirs.push(dir);
    const bytes = String(Math.floor(req.memoryMb * 1024 * 1024));
    tryWrite(path.join(dir, "memory.memsw.limit_in_bytes"), "-1"); // a reused group may have a lower swap cap
    fs.writeFileSync(path.join(dir, "memory.limit_in_bytes"), bytes);
    tryWrite(path.join(dir, "memory.memsw.limit_in_bytes"), bytes); // no swapping past the limit
    oomFile = path.join(dir, "memory.oom_control");
  }
  if (req.cpu !== undefined && backend.cpu) {
    const dir = path.join(backend.cpu, name);
    ensureDir(dir);
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, "cpu.cfs_period_us"), String(CPU_PERIOD_US));
    fs.writeFileSync(path.join(dir, "cpu.cfs_quota_us"), String(Math.max(1000, Math.round(req.cpu * CPU_PERIOD_US))));
  }
  return { dirs, oomFile };
}

function applyV2(req: LimitRequest, name: string, backend: { parent: string; memory: boolean; cpu: boolean }): { dirs: string[]; oomFile: string | null } {
  const dir = path.join(backend.parent, name);
  ensureDir(dir);
  let oomFile: string | null = null;
  if (req.memoryMb !== undefined && backend.memory) {
    fs.writeFileSync(path.join(dir, "memory.max"), String(Math.floor(req.memoryMb * 1024 * 1024)));
    tryWrite(path.join(dir, "memory.swap.max"), "0");
    oomFile = path.join(dir, "memory.events");
  }
  if (req.cpu !== undefined && backend.cpu) {
    fs.writeFileSync(path.join(dir, "cpu.max"), `${Math.max(1000, Math.round(req.cpu * CPU_PERIOD_US))} ${CPU_PERIOD_US}`);
  }
  return { dirs: [dir], oomFile };
}

/** Creates the instance's group with the requested limits; `ok: false` says in one line why there are none. */
export function createLimits(req: LimitRequest, backend: CgroupBackend = detectCgroups()): Limits {
  const wantsMemory = req.memoryMb !== undefined;
  const wantsCpu = req.cpu !== undefined;
  if (!wantsMemory && !wantsCpu) return { ok: false, reason: "no limits requested" };
  if (backend.kind === "none") return { ok: false, reason: backend.reason };
  const name = req.name.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^\.+$/, "_");
  const canMemory = backend.kind === "v2" ? backend.memory : backend.memory !== null;
  const canCpu = backend.kind === "v2" ? backend.cpu : backend.cpu !== null;
  const skipped = [wantsMemory && !canMemory ? "memory" : null, wantsCpu && !canCpu ? "cpu" : null].filter((s) => s !== null);
  if ((!wantsMemory || !canMemory) && (!wantsCpu || !canCpu)) {
    return { ok: false, reason: `cgroup ${backend.kind} has no writable ${skipped.join("/")} controller` };
  }
  let applied: { dirs: string[]; oomFile: string | null };
  try {
    applied = backend.kind === "v2" ? applyV2(req, name, backend) : applyV1(req, name, backend);
  } catch (err) {
    return { ok: false, reason: `cannot set cgroup ${backend.kind} limits for ${name}: ${errorText(err)}` };
  }
  const { dirs, oomFile } = applied;
  return {
    ok: true,
    kind: backend.kind,
    paths: dirs,
    note: skipped.length > 0 ? `no ${skipped.join("/")} limit: cgroup ${backend.kind} has no writable ${skipped.join("/")} controller` : undefined,
    addPid(pid) {
      for (const dir of dirs) fs.writeFileSync(path.join(dir, "cgroup.procs"), String(pid));
    },
    oomKills: () => (oomFile ? readCounter(oomFile, "oom_kill") : 0),
    remove: () => removeDirs(dirs),
  };
}
