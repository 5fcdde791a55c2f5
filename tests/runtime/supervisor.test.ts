/**
 * The process supervisor with real processes: PORT and environment, log streaming, restarts with
 * backoff and crash-loop reporting, stopping (graceful, escalated, whole group), readiness, cgroup
 * memory limits, and orphan cleanup after the console is gone.
 *
 * Runs as any user; as root (CI) instances also run as their service's own user, and with bubblewrap installed
 * they run sandboxed — the assertions hold either way.
 */
import crypto from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sandboxCapabilities } from "@/server/runtime/process/sandbox";
import {
  allocatePort,
  detectCgroups,
  groupMembers,
  isAlive,
  isPortFree,
  killProcessGroupIfSame,
  Supervisor,
  type InstanceSpec,
} from "@/server/runtime/process/supervisor";
import {
  instanceSpec,
  makeRuntimeDirs,
  nodeCommand,
  processesWithMarker,
  SupervisorRecorder,
  waitUntil,
  writeApp,
  type RuntimeDirs,
} from "../support/runtime-apps";

const APPS = {
  "server.mjs": `
import http from "node:http";
const server = http.createServer((req, res) => {
  if (req.url === "/healthz") { res.writeHead(Number(process.env.HEALTH_STATUS || 200)); res.end(); return; }
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ uid: process.getuid(), env: process.env }));
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening on " + process.env.PORT));
`,
  "logs.mjs": `
const out = (s) => process.stdout.write(s);
let text = "";
for (let i = 1; i <= 300; i++) text += "line " + i + "\\n";
for (let i = 0; i < text.length; i += 37) out(text.slice(i, i + 37));
const mixed = Buffer.from("split é and 🎉 here\\n");
const cut = mixed.indexOf(Buffer.from("🎉")) + 2;
out(mixed.subarray(0, cut));
setTimeout(() => {
  out(mixed.subarray(cut));
  out("x".repeat(20000) + "\\n");
  out("windows line\\r\\n");
  out("\\n");
  process.stderr.write("err one\\nerr two\\n");
  out("DONE\\n");
}, 30);
setInterval(() => {}, 1000);
`,
  "crash.mjs": `console.log("boot"); process.exit(3);`,
  "ignore-term.mjs": `
process.on("SIGTERM", () => console.log("TERM ignored"));
console.log("ready");
setInterval(() => {}, 1000);
`,
  "graceful.mjs": `
process.on("SIGTERM", () => { console.log("bye"); setTimeout(() => process.exit(0), 100); });
console.log("ready");
setInterval(() => {}, 1000);
`,
  "parent.mjs": `
import { spawn } from "node:child_process";
const marker = process.env.MARKER;
const keep = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)";
const inGroup = spawn(process.execPath, ["-e", keep, marker + "-in-group"], { stdio: "ignore" });
const escaped = process.env.ESCAPE === "1" ? spawn(process.execPath, ["-e", keep, marker + "-escaped"], { stdio: "ignore", detached: true }) : null;
console.log("children " + inGroup.pid + " " + (escaped ? escaped.pid : "-"));
setInterval(() => {}, 1000);
`,
  "hog.mjs": `
const chunks = [];
console.log("allocating");
for (let i = 1; i <= 64; i++) { chunks.push(Buffer.alloc(16 * 1024 * 1024, i)); console.log("allocated " + i * 16 + " MB"); }
console.log("survived 1024 MB");
setInterval(() => {}, 1000);
`,
  "idle.mjs": `console.log("idle"); setInterval(() => {}, 1000);`,
};
type AppName = keyof typeof APPS;

let dirs: RuntimeDirs;
let supervisor: Supervisor;
let recorder: SupervisorRecorder;
const app = (name: AppName, ...args: string[]) => nodeCommand(`${dirs.build}/${name}`, ...args);
const spec = (overrides: Partial<InstanceSpec> & Pick<InstanceSpec, "command">) => instanceSpec(dirs, overrides);

beforeAll(() => {
  dirs = makeRuntimeDirs("supervisor");
  for (const [name, source] of Object.entries(APPS)) writeApp(dirs, name, source);
  const caps = sandboxCapabilities();
  console.log(`sandbox: bubblewrap ${caps.bubblewrap ?? "not available"}, user ${dirs.runAs ? `uid ${dirs.runAs.uid}` : "(not root: no user switch)"}`);
});

afterEach(async () => {
  await supervisor?.stopAll({ graceMs: 500 });
  supervisor?.removeAllListeners();
});

afterAll(() => dirs?.remove());

function fresh(): void {
  supervisor = new Supervisor();
  recorder = new SupervisorRecorder(supervisor);
}

describe("Supervisor", () => {
  it("sets PORT, passes only the given environment, and reports running once the health path answers", async () => {
    fresh();
    process.env.SLIPWAY_CONSOLE_ONLY_SECRET = "must-not-leak";
    const port = await allocatePort();
    const s = spec({ command: app("server.mjs"), port, env: { GREETING: "hello" }, health: { path: "/healthz", timeoutMs: 10_000 } });
    const started = supervisor.start(s);
    expect(started).toMatchObject({ instanceId: s.instanceId, state: "starting", port, restarts: 0 });
    expect(started.pid).toBeGreaterThan(1);

    const running = await recorder.state(s.instanceId, "running");
    expect(running.reason).toMatch(/healthy after \d+ ms/);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    const body = (await res.json()) as { uid: number; env: Record<string, string> };
    expect(body.env.PORT).toBe(String(port));
    expect(body.env.GREETING).toBe("hello");
    expect(body.env.HOME).toBe(dirs.writable);
    expect(body.env.PATH).toContain("/usr/bin");
    expect(body.env.SLIPWAY_CONSOLE_ONLY_SECRET).toBeUndefined();
    expect(body.env.NODE_ENV).toBeUndefined();
    if (process.getuid?.() === 0) expect(body.uid).not.toBe(0);
    expect(supervisor.get(s.instanceId)).toMatchObject({ state: "running", pid: started.pid });
    delete process.env.SLIPWAY_CONSOLE_ONLY_SECRET;

    await supervisor.stop(s.instanceId, { graceMs: 2_000 });
    expect(recorder.statesOf(s.instanceId).map((e) => e.state)).toEqual(["starting", "running", "stopping", "stopped"]);
    expect(supervisor.get(s.instanceId)).toBeUndefined();
    await waitUntil("the port to be free again", () => !isAlive(started.pid!));
    expect(await isPortFree(port)).toBe(true);
  });

  it("restarts an instance whose health check never passes, saying why", async () => {
    fresh();
    const port = await allocatePort();
    const s = spec({
      command: app("server.mjs"),
      port,
      env: { HEALTH_STATUS: "503" },
      // Long enough for the server to be listening, so the last check is its 503 (not a refused connection).
      health: { path: "/healthz", timeoutMs: 3_000 },
      restart: { initialDelayMs: 60_000 },
    });
    supervisor.start(s);
    const backoff = await recorder.state(s.instanceId, "backoff");
    expect(backoff.reason).toContain("not ready");
    expect(backoff.reason).toContain("answered 503");
    expect(recorder.statesOf(s.instanceId).some((e) => e.state === "running")).toBe(false);
  });

  it("streams stdout and stderr line by line, in order, UTF-8 intact, long lines cut with a marker", async () => {
    fresh();
    const s = spec({ command: app("logs.mjs") });
    supervisor.start(s);
    await recorder.line(s.instanceId, (l) => l === "DONE", "DONE");
    await recorder.until("both stderr lines", () => recorder.lines(s.instanceId, "stderr").length >= 2);
    const numbered = Array.from({ length: 300 }, (_, i) => `line ${i + 1}`);
    expect(recorder.lines(s.instanceId)).toEqual([
      ...numbered,
      "split é and 🎉 here",
      `${"x".repeat(16 * 1024)}…[truncated ${20_000 - 16 * 1024} bytes]`,
      "windows line",
      "",
      "DONE",
    ]);
    expect(recorder.lines(s.instanceId, "stderr")).toEqual(["err one", "err two"]);
    const log = recorder.logs.find((l) => l.instanceId === s.instanceId)!;
    expect(log).toMatchObject({ serviceId: s.serviceId, deploymentId: s.deploymentId, stream: "stdout" });
    expect(log.at).toBeInstanceOf(Date);
  });

  it("restarts a crashed instance with exponential backoff", async () => {
    fresh();
    const s = spec({ command: app("crash.mjs"), restart: { initialDelayMs: 100, maxDelayMs: 5_000, crashLoopCount: 50 } });
    supervisor.start(s);
    await recorder.until("4 starts", () => recorder.spawns.filter((e) => e.instanceId === s.instanceId).length >= 4);
    await supervisor.stop(s.instanceId, { graceMs: 500 });

    const states = recorder.statesOf(s.instanceId);
    const backoffs = states.filter((e) => e.state === "backoff").slice(0, 3);
    expect(backoffs.map((e) => e.retryInMs)).toEqual([100, 200, 400]);
    for (const b of backoffs) {
      expect(b.exit).toMatchObject({ code: 3, signal: null });
      expect(b.reason).toContain("exited with code 3");
    }
    // Each start came no earlier than the announced delay after the crash.
    const spawns = recorder.spawns.filter((e) => e.instanceId === s.instanceId);
    backoffs.forEach((b, i) => expect(spawns[i + 1].seenAt - b.seenAt).toBeGreaterThanOrEqual(b.retryInMs! - 2));
    expect(states.filter((e) => e.state === "starting").map((e) => e.restarts).slice(0, 4)).toEqual([0, 1, 2, 3]);
    // The fourth start was stopped right away and may not have printed.
    expect(recorder.lines(s.instanceId).filter((l) => l === "boot").length).toBeGreaterThanOrEqual(3);
  });

  it("reports a crash loop and keeps retrying at the maximum delay; stop ends it", async () => {
    fresh();
    const s = spec({ command: app("crash.mjs"), restart: { initialDelayMs: 50, maxDelayMs: 300, crashLoopCount: 3, crashLoopWindowMs: 60_000 } });
    supervisor.start(s);
    const loop = await recorder.state(s.instanceId, "crash-loop");
    expect(loop.retryInMs).toBe(300);
    expect(loop.reason).toContain("crash loop: 3 exits");
    const before = recorder.statesOf(s.instanceId).filter((e) => e.state === "backoff").map((e) => e.retryInMs);
    expect(before).toEqual([50, 100]);
    // Still retried: another start and another crash-loop report at max delay.
    await recorder.until("a retry after the crash loop", () => recorder.statesOf(s.instanceId).filter((e) => e.state === "crash-loop").length >= 2);
    expect(recorder.statesOf(s.instanceId).filter((e) => e.state === "crash-loop").every((e) => e.retryInMs === 300)).toBe(true);

    await supervisor.stop(s.instanceId);
    expect(recorder.statesOf(s.instanceId).at(-1)).toMatchObject({ state: "stopped", exit: { code: 3 } });
    expect(supervisor.get(s.instanceId)).toBeUndefined();
    expect(supervisor.list()).toEqual([]);
  });

  it("stops gracefully when the app handles SIGTERM", async () => {
    fresh();
    const s = spec({ command: app("graceful.mjs") });
    supervisor.start(s);
    await recorder.line(s.instanceId, (l) => l === "ready", "ready (its SIGTERM handler is installed)");
    const t0 = performance.now();
    await supervisor.stop(s.instanceId, { graceMs: 10_000 });
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(recorder.lines(s.instanceId)).toContain("bye");
    const stopped = recorder.statesOf(s.instanceId).at(-1)!;
    expect(stopped).toMatchObject({ state: "stopped", reason: "stopped", exit: { code: 0, signal: null } });
  });

  it("escalates to SIGKILL when the app ignores SIGTERM", async () => {
    fresh();
    const s = spec({ command: app("ignore-term.mjs") });
    const { pid } = supervisor.start(s);
    await recorder.line(s.instanceId, (l) => l === "ready", "ready (its SIGTERM handler is installed)");
    const t0 = performance.now();
    await supervisor.stop(s.instanceId, { graceMs: 400 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(395);
    expect(recorder.lines(s.instanceId)).toContain("TERM ignored"); // SIGTERM did reach the app
    const stopped = recorder.statesOf(s.instanceId).at(-1)!;
    expect(stopped.state).toBe("stopped");
    expect(stopped.reason).toContain("did not exit within 400 ms");
    expect(isAlive(pid!)).toBe(false);
    expect(groupMembers(pid!)).toEqual([]);
  });

  it("kills grandchildren with the group, even one that ignores SIGTERM", async () => {
    fresh();
    const marker = `gc-${crypto.randomBytes(6).toString("hex")}`;
    const s = spec({ command: app("parent.mjs"), env: { MARKER: marker } });
    supervisor.start(s);
    await recorder.line(s.instanceId, (l) => l.startsWith("children "), "its children");
    expect(processesWithMarker(`${marker}-in-group`)).toHaveLength(1);
    await supervisor.stop(s.instanceId, { graceMs: 300 });
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it.skipIf(!sandboxCapabilities().bubblewrap)("kills a grandchild that left the process group, with the sandbox's pid namespace", async () => {
    fresh();
    const marker = `esc-${crypto.randomBytes(6).toString("hex")}`;
    const s = spec({ command: app("parent.mjs"), env: { MARKER: marker, ESCAPE: "1" } });
    const { pid } = supervisor.start(s);
    await recorder.line(s.instanceId, (l) => l.startsWith("children "), "its children");
    const [escaped] = processesWithMarker(`${marker}-escaped`);
    expect(escaped).toBeGreaterThan(1);
    expect(groupMembers(pid!)).not.toContain(escaped); // really outside the group
    await supervisor.stop(s.instanceId, { graceMs: 300 });
    await waitUntil("the escaped grandchild to die", () => processesWithMarker(marker).length === 0, 5_000);
  });

  const cgroups = detectCgroups();
  it.skipIf(cgroups.kind === "none")("enforces a memory limit through cgroups (the kernel OOM-kills the instance)", async () => {
    fresh();
    const s = spec({ command: app("hog.mjs"), limits: { memoryMb: 128 }, restart: { initialDelayMs: 60_000 } });
    supervisor.start(s);
    const limits = await recorder.until("the limits report", () => recorder.limits.find((e) => e.instanceId === s.instanceId));
    console.log(`cgroup limits: ${limits.ok ? `applied (${limits.kind})` : `not applied: ${limits.reason}`}`);
    expect(limits).toMatchObject({ ok: true, serviceId: s.serviceId });
    const crashed = await recorder.state(s.instanceId, "backoff", 30_000);
    expect(crashed.reason).toContain("out of memory");
    expect(crashed.exit?.code === 137 || crashed.exit?.signal === "SIGKILL").toBe(true);
    expect(recorder.lines(s.instanceId)).toContain("allocating");
    expect(recorder.lines(s.instanceId)).not.toContain("survived 1024 MB");
  });

  it("reports once, in one line, when limits cannot be applied", async () => {
    if (cgroups.kind !== "none") {
      console.log(`cgroups here: ${cgroups.kind}`);
      return;
    }
    console.log(`cgroups unavailable here: ${cgroups.reason}`);
    fresh();
    const s = spec({ command: app("idle.mjs"), limits: { memoryMb: 64 } });
    supervisor.start(s);
    await recorder.state(s.instanceId, "running");
    const reports = recorder.limits.filter((e) => e.instanceId === s.instanceId);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ ok: false });
    expect(reports[0].reason).not.toContain("\n");
  });

  it("refuses a second start of a supervised instance", () => {
    fresh();
    const s = spec({ command: app("idle.mjs") });
    supervisor.start(s);
    expect(() => supervisor.start(s)).toThrow(/already supervised/);
  });

  it("lets a restarted console kill an orphan by pid + start time, and never a different process", async () => {
    fresh();
    const abandoned = supervisor;
    const s = spec({ command: app("idle.mjs"), restart: { initialDelayMs: 3_600_000 } });
    abandoned.start(s);
    const spawned = await recorder.until("the spawn report", () => recorder.spawns.find((e) => e.instanceId === s.instanceId));
    await recorder.state(s.instanceId, "running");
    // The console "dies": nobody stops the instance; a fresh console knows only what was persisted.
    const persisted = { pid: spawned.pid, startTime: spawned.startTime! };
    expect(persisted.startTime).toMatch(/^\d+$/);

    const wrong = killProcessGroupIfSame({ pid: persisted.pid, startTime: String(BigInt(persisted.startTime) + 1n) });
    expect(wrong.signalled).toBe(false);
    expect(isAlive(persisted.pid)).toBe(true);

    const right = killProcessGroupIfSame(persisted);
    expect(right.signalled).toBe(true);
    await waitUntil("the orphan group to be gone", () => !isAlive(persisted.pid) && groupMembers(persisted.pid).length === 0);
    expect(killProcessGroupIfSame(persisted).signalled).toBe(false);
  });
});
