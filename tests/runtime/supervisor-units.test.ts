/**
 * The supervisor's building blocks on their own: line splitting, restart policy, ports, health checks
 * and process identity.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { waitForHealthy, waitForStable } from "@/server/runtime/process/supervisor/health";
import { LineSplitter } from "@/server/runtime/process/supervisor/line-splitter";
import { allocatePort, isPortFree } from "@/server/runtime/process/supervisor/ports";
import {
  groupMembers,
  groupMembersAsync,
  isAlive,
  killProcessGroupIfSame,
  processStartTime,
  signalGroup,
  signalGroupExceptLeader,
} from "@/server/runtime/process/supervisor/process-identity";
import { RestartPolicy } from "@/server/runtime/process/supervisor/restart-policy";
import { waitUntil } from "../support/runtime-apps";

function split(chunks: (string | Buffer)[], max?: number, end = true): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), max);
  for (const chunk of chunks) splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  if (end) splitter.end();
  return lines;
}

describe("LineSplitter", () => {
  it("keeps multi-byte characters whole when chunks cut through them", () => {
    const bytes = Buffer.from("héllo 🎉\nwörld\n");
    const oneByteChunks = [...bytes].map((b) => Buffer.from([b]));
    expect(split(oneByteChunks)).toEqual(["héllo 🎉", "wörld"]);
  });

  it("keeps empty lines, drops a CR before LF, and flushes a last line without newline at the end", () => {
    expect(split(["a\r\n\nb", "c"])).toEqual(["a", "", "bc"]);
    expect(split(["partial"], undefined, false)).toEqual([]);
    expect(split([])).toEqual([]);
  });

  it("cuts an over-long line and says how many bytes were dropped", () => {
    expect(split(["abcdefghijklmnop\n"], 10)).toEqual(["abcdefghij…[truncated 6 bytes]"]);
    expect(split(["abcdefghij\n"], 10)).toEqual(["abcdefghij"]);
  });

  it("cuts on a character boundary", () => {
    // a b [F0 9F 8E 89] c d: byte 5 is inside the emoji, so the cut steps back to byte 2.
    expect(split(["ab🎉cd\n"], 5)).toEqual(["ab…[truncated 6 bytes]"]);
  });

  it("gives the lines of one chunk one time, and mixes lines whole in a chunk with lines spanning chunks", () => {
    const got: [string, Date][] = [];
    const splitter = new LineSplitter((line, at) => got.push([line, at]), 10);
    splitter.push(Buffer.from("one\r\ntwo\nthr"));
    splitter.push(Buffer.from("ee\r\nfour\n0123456789\r\n\r\n"));
    splitter.push(Buffer.from("é".repeat(4) + "\n"));
    expect(got.map(([line]) => line)).toEqual(["one", "two", "three", "four", "0123456789…[truncated 1 bytes]", "", "éééé"]);
    expect(got[0][1]).toBe(got[1][1]);
    expect(got[2][1]).toBe(got[5][1]);
    expect(got[5][1]).not.toBe(got[1][1]);
  });

  it("counts every dropped byte of a line that spans many chunks, default limit 16 KiB", () => {
    const chunks = Array.from({ length: 100 }, () => "y".repeat(1000));
    const [line, next] = split([...chunks, "\nnext\n"]);
    expect(line).toBe(`${"y".repeat(16_384)}…[truncated ${100_000 - 16_384} bytes]`);
    expect(next).toBe("next");
  });
});

describe("RestartPolicy", () => {
  it("doubles the delay up to the maximum", () => {
    const policy = new RestartPolicy({ initialDelayMs: 1000, maxDelayMs: 30_000, crashLoopCount: 100 });
    let now = 0;
    const delays = Array.from({ length: 7 }, () => policy.onCrash(10, (now += 100_000)).delayMs);
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it("resets the delay after a stable run", () => {
    const policy = new RestartPolicy({ initialDelayMs: 100, stableAfterMs: 5_000, crashLoopCount: 100 });
    expect([policy.onCrash(10, 1).delayMs, policy.onCrash(10, 2).delayMs, policy.onCrash(10, 3).delayMs]).toEqual([100, 200, 400]);
    expect(policy.onCrash(5_000, 10_000).delayMs).toBe(100);
  });

  it("reports a crash loop for N crashes within the window, at the maximum delay", () => {
    const policy = new RestartPolicy({ initialDelayMs: 10, maxDelayMs: 500, crashLoopCount: 3, crashLoopWindowMs: 1_000 });
    expect(policy.onCrash(1, 0)).toMatchObject({ crashLoop: false, delayMs: 10 });
    expect(policy.onCrash(1, 100)).toMatchObject({ crashLoop: false, delayMs: 20 });
    expect(policy.onCrash(1, 200)).toMatchObject({ crashLoop: true, delayMs: 500, crashesInWindow: 3 });
    // Spread out, crashes no longer count as a loop.
    expect(policy.onCrash(1, 5_000)).toMatchObject({ crashLoop: false, crashesInWindow: 1 });
  });
});

describe("ports", () => {
  it("hands out distinct free ports and tells a taken port from a free one", async () => {
    const ports = await Promise.all(Array.from({ length: 5 }, () => allocatePort()));
    expect(new Set(ports).size).toBe(5);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(ports[0], "127.0.0.1", resolve));
    expect(await isPortFree(ports[0])).toBe(false);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await isPortFree(ports[0])).toBe(true);
  });
});

describe("health", () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  async function serve(handler: http.RequestListener): Promise<number> {
    const server = http.createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as net.AddressInfo).port;
  }

  it("waits until the path answers 2xx", async () => {
    let calls = 0;
    const port = await serve((req, res) => {
      calls += 1;
      res.writeHead(req.url === "/ready" && calls >= 3 ? 204 : 503).end();
    });
    const result = await waitForHealthy({ port, path: "/ready", timeoutMs: 5_000, intervalMs: 10, isAlive: () => true });
    expect(result.ok).toBe(true);
    expect(calls).toBe(3);
  });

  it("gives up at the deadline naming the last status", async () => {
    const port = await serve((_req, res) => res.writeHead(500).end());
    const result = await waitForHealthy({ port, path: "health", timeoutMs: 200, intervalMs: 20, isAlive: () => true });
    expect(result).toMatchObject({ ok: false, reason: "timeout" });
    if (!result.ok) expect(result.detail).toContain("GET /health answered 500");
  });

  it("without a path, a TCP connection is enough; a closed port times out with the error", async () => {
    const port = await serve((_req, res) => res.end());
    expect((await waitForHealthy({ port, timeoutMs: 2_000, isAlive: () => true })).ok).toBe(true);
    const closed = await allocatePort();
    const result = await waitForHealthy({ port: closed, timeoutMs: 150, intervalMs: 20, isAlive: () => true });
    expect(result).toMatchObject({ ok: false, reason: "timeout" });
    if (!result.ok) expect(result.detail).toContain("ECONNREFUSED");
  });

  it("stops early when the process exits or the wait is aborted", async () => {
    const port = await allocatePort();
    let alive = true;
    const exited = waitForHealthy({ port, timeoutMs: 10_000, intervalMs: 10, isAlive: () => alive });
    alive = false;
    expect(await exited).toMatchObject({ ok: false, reason: "exited" });
    const abort = new AbortController();
    const aborted = waitForHealthy({ port, timeoutMs: 10_000, intervalMs: 1_000, signal: abort.signal, isAlive: () => true });
    abort.abort();
    expect(await aborted).toMatchObject({ ok: false, reason: "aborted" });
  });

  it("a worker is ready once it stayed alive long enough, not if it dies first", async () => {
    const ok = await waitForStable({ ms: 50, isAlive: () => true });
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(ok.ms).toBeGreaterThanOrEqual(50);
    let checks = 0;
    expect(await waitForStable({ ms: 10_000, intervalMs: 5, isAlive: () => ++checks < 3 })).toMatchObject({ ok: false, reason: "exited" });
  });
});

describe("process identity", () => {
  it("reads start times and liveness from /proc", () => {
    expect(processStartTime(process.pid)).toMatch(/^\d+$/);
    expect(isAlive(process.pid)).toBe(true);
    expect(processStartTime(2 ** 22 + 12345)).toBeNull();
    expect(isAlive(2 ** 22 + 12345)).toBe(false);
  });

  it("never signals group 0 or 1", () => {
    expect(() => killProcessGroupIfSame({ pid: 1, startTime: "1" })).toThrow(/refusing/);
    expect(() => signalGroup(0, "SIGTERM")).toThrow(/refusing/);
  });

  it("finds a group's members without blocking (async scan) and signals all but the leader", async () => {
    // SIGKILL: had the leader been signalled too, it would be gone.
    const leader = spawn("/bin/sh", ["-c", "sleep 299 & read _; exit 0"], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    const pid = leader.pid!;
    try {
      await waitUntil("the sleeper to start", () => groupMembers(pid).length === 2);
      expect((await groupMembersAsync(pid)).sort()).toEqual(groupMembers(pid).sort());
      const [sleeper] = (await groupMembersAsync(pid)).filter((p) => p !== pid);
      expect(await signalGroupExceptLeader(pid, "SIGKILL")).toBe(true);
      await waitUntil("the sleeper to die", () => !isAlive(sleeper));
      expect(isAlive(pid)).toBe(true);
      await expect(signalGroupExceptLeader(0, "SIGTERM")).rejects.toThrow(/refusing/);
    } finally {
      leader.kill("SIGKILL");
    }
  });

  it("kills the leftover members of a group whose leader is gone", async () => {
    // The leader starts a background sleeper, waits for a line on stdin, then exits.
    const leader = spawn("/bin/sh", ["-c", "sleep 300 & read _; exit 0"], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    const pid = leader.pid!;
    const startTime = processStartTime(pid)!;
    await waitUntil("the sleeper to start", () => groupMembers(pid).length === 2);
    const exited = new Promise((resolve) => leader.once("exit", resolve));
    leader.stdin!.end("go\n");
    await exited;
    const [sleeper] = groupMembers(pid);
    expect(sleeper).not.toBe(pid);
    // Recorded as starting after the sleeper: the sleeper cannot belong to that group.
    expect(killProcessGroupIfSame({ pid, startTime: String(BigInt(startTime) + 1_000_000n) }).signalled).toBe(false);
    expect(isAlive(sleeper)).toBe(true);
    const result = killProcessGroupIfSame({ pid, startTime });
    expect(result).toMatchObject({ signalled: true });
    expect(result.detail).toContain("leftover");
    await waitUntil("the sleeper to die", () => !isAlive(sleeper));
  });
});
