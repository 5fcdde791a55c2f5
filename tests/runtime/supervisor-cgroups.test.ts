/**
 * cgroup limits: on this host for real (whatever kind it offers), and detection against fake v1/v2
 * trees, so the v2 path is exercised even on a host where only v1 is writable.
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLimits, detectCgroups } from "@/server/runtime/process/supervisor/cgroups";
import { waitUntil } from "../support/runtime-apps";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-cgroups-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function fakeTree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(scratch, "tree-"));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

const read = (file: string) => fs.readFileSync(file, "utf8").trim();
const host = detectCgroups();

describe("cgroup limits on this host", () => {
  it("says which kind it found, or why there is none, in one line", () => {
    console.log(host.kind === "none" ? `no cgroup limits here: ${host.reason}` : `cgroup kind here: ${host.kind}`);
    if (host.kind === "none") expect(host.reason).not.toContain("\n");
  });

  it.skipIf(host.kind === "none")("creates a group with memory and CPU limits, takes a pid, and removes it", async () => {
    const limits = createLimits({ name: `test-${crypto.randomBytes(4).toString("hex")}`, memoryMb: 32, cpu: 0.5 });
    if (!limits.ok) throw new Error(limits.reason);
    try {
      if (limits.kind === "v1") {
        const memory = limits.paths.find((p) => fs.existsSync(path.join(p, "memory.limit_in_bytes")));
        const cpu = limits.paths.find((p) => fs.existsSync(path.join(p, "cpu.cfs_quota_us")));
        if (memory) expect(read(path.join(memory, "memory.limit_in_bytes"))).toBe(String(32 * 1024 * 1024));
        if (cpu) expect([read(path.join(cpu, "cpu.cfs_quota_us")), read(path.join(cpu, "cpu.cfs_period_us"))]).toEqual(["50000", "100000"]);
        expect(memory ?? cpu).toBeDefined();
      } else {
        const [dir] = limits.paths;
        expect(read(path.join(dir, "memory.max"))).toBe(String(32 * 1024 * 1024));
        expect(read(path.join(dir, "cpu.max"))).toBe("50000 100000");
      }
      const sleeper = spawn("sleep", ["300"], { stdio: "ignore" });
      const exited = new Promise((resolve) => sleeper.once("exit", resolve));
      limits.addPid(sleeper.pid!);
      for (const dir of limits.paths) expect(read(path.join(dir, "cgroup.procs")).split("\n")).toContain(String(sleeper.pid));
      expect(limits.oomKills()).toBe(0);
      sleeper.kill("SIGKILL");
      await exited;
    } finally {
      limits.remove();
    }
    await waitUntil("the groups to be removed", () => limits.paths.every((p) => !fs.existsSync(p)), 5_000);
  });
});

describe("cgroup detection (fake trees)", () => {
  it("v2: enables memory+cpu below our own cgroup and writes memory.max / cpu.max", () => {
    const own = "/system.slice/slipway.service";
    const root = fakeTree({
      "cgroup.controllers": "cpuset cpu io memory pids",
      [`${own}/cgroup.controllers`]: "cpu memory pids",
      [`${own}/cgroup.subtree_control`]: "",
      [`${own}/cgroup.procs`]: "",
      [`${own}/slipway/cgroup.subtree_control`]: "",
    });
    const backend = detectCgroups({
      mountinfo: `40 30 0:37 / ${root} rw,relatime - cgroup2 cgroup2 rw\n`,
      selfCgroup: `0::${own}\n`,
      pid: 4242,
    });
    expect(backend).toEqual({ kind: "v2", parent: path.join(root, own, "slipway"), memory: true, cpu: true });
    expect(read(path.join(root, own, "cgroup.subtree_control"))).toBe("+memory +cpu");

    const limits = createLimits({ name: "inst/1", memoryMb: 64, cpu: 1.5 }, backend);
    if (!limits.ok) throw new Error(limits.reason);
    const dir = path.join(root, own, "slipway", "inst_1");
    expect(limits).toMatchObject({ kind: "v2", paths: [dir] });
    expect(read(path.join(dir, "memory.max"))).toBe(String(64 * 1024 * 1024));
    expect(read(path.join(dir, "memory.swap.max"))).toBe("0");
    expect(read(path.join(dir, "cpu.max"))).toBe("150000 100000");
    limits.addPid(1234);
    expect(read(path.join(dir, "cgroup.procs"))).toBe("1234");
    fs.writeFileSync(path.join(dir, "memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
    expect(limits.oomKills()).toBe(1);
  });

  it("v2 with only some controllers applies what it can and says what it skipped", () => {
    const root = fakeTree({ "cgroup.controllers": "memory pids", "cgroup.subtree_control": "memory", "slipway/cgroup.subtree_control": "" });
    const backend = detectCgroups({ mountinfo: `40 30 0:37 / ${root} rw - cgroup2 cgroup2 rw\n`, selfCgroup: "0::/\n", pid: 1 });
    expect(backend).toMatchObject({ kind: "v2", memory: true, cpu: false });
    const limits = createLimits({ name: "a", memoryMb: 10, cpu: 1 }, backend);
    expect(limits).toMatchObject({ ok: true, note: expect.stringContaining("no cpu limit") });
    expect(createLimits({ name: "b", cpu: 1 }, backend)).toMatchObject({ ok: false, reason: expect.stringContaining("cpu") });
  });

  it("v1: uses the memory and cpu hierarchies when v2 offers no controllers", () => {
    const root = fakeTree({
      "unified/cgroup.controllers": "",
      "memory/slipway/memory.limit_in_bytes": "9223372036854771712",
      "cpu/slipway/cpu.cfs_quota_us": "-1",
    });
    const mountinfo = [
      `31 30 0:28 / ${root}/cpu rw,relatime - cgroup cgroup rw,cpu`,
      `34 30 0:31 / ${root}/memory rw,relatime - cgroup cgroup rw,memory`,
      `40 30 0:37 / ${root}/unified rw,relatime - cgroup2 cgroup2 rw`,
    ].join("\n");
    const backend = detectCgroups({ mountinfo, selfCgroup: "4:memory:/\n1:cpu:/\n0::/\n", pid: 1 });
    expect(backend).toEqual({ kind: "v1", memory: path.join(root, "memory", "slipway"), cpu: path.join(root, "cpu", "slipway") });
    const limits = createLimits({ name: "i", memoryMb: 1, cpu: 0.25 }, backend);
    if (!limits.ok) throw new Error(limits.reason);
    expect(read(path.join(root, "memory/slipway/i/memory.limit_in_bytes"))).toBe("1048576");
    expect(read(path.join(root, "cpu/slipway/i/cpu.cfs_quota_us"))).toBe("25000");
    expect(read(path.join(root, "cpu/slipway/i/cpu.cfs_period_us"))).toBe("100000");
  });

  it("neither writable: one line saying why, and no limits", () => {
    // The v1 "mount point" sits below a regular file, so nothing can be created there.
    const root = fakeTree({ "unified/cgroup.controllers": "pids", "not-a-dir": "" });
    const mountinfo = [`40 30 0:37 / ${root}/unified rw - cgroup2 cgroup2 rw`, `34 30 0:31 / ${root}/not-a-dir/memory rw - cgroup cgroup rw,memory`].join("\n");
    const backend = detectCgroups({ mountinfo, selfCgroup: "0::/\n", pid: 1 });
    expect(backend.kind).toBe("none");
    const limits = createLimits({ name: "x", memoryMb: 64 }, backend);
    expect(limits.ok).toBe(false);
    if (!limits.ok) {
      expect(limits.reason).toContain("offers no memory/cpu controller");
      expect(limits.reason).toContain("not writable");
      expect(limits.reason).not.toContain("\n");
    }
    expect(createLimits({ name: "y" }, backend)).toEqual({ ok: false, reason: "no limits requested" });
  });
});
