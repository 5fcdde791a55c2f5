/**
 * The console's own log on a full disk. Its stdout and stderr go to a file on a small tmpfs that is full
 * before it starts; it logs at start-up and at every refused sign-in form. Before, each failed write
 * became an uncaught exception whose handler logged again: a loop that held a core and stopped the
 * console answering. Now: it keeps answering /api/health (which says its log cannot be written), its
 * CPU over a window while it is asked to log stays well below a core (read from /proc/<pid>/stat: a
 * state of the process, not a latency), and once space is back its log says how many writes it dropped.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertBuilt, makeTempDir, startServer, type ServerHandle } from "../support/server-process";
import { mountSmallTmpfs, type SmallTmpfs } from "../support/small-tmpfs";

const tmp = makeTempDir("slipway-consolelog-");
let disk: SmallTmpfs | undefined;
let server: ServerHandle | undefined;

beforeAll(() => assertBuilt());
afterAll(async () => {
  await server?.stop(5_000);
  disk?.unmount();
  tmp.remove();
});

/** utime + stime of `pid`, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

/** A sign-in form without its CSRF token: refused, and logged by the console. */
const refusedSignIn = (url: string) =>
  fetch(`${url}/api/auth/callback/credentials`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "email=x%40example.test&password=y", signal: AbortSignal.timeout(10_000) }).then((r) => r.status);

type Health = { status: string; degraded?: string[] };
const health = async (url: string) => {
  const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5_000) });
  return { http: res.status, ...((await res.json()) as Health) };
};

it.skipIf(process.getuid?.() !== 0)("keeps answering and does not spin when its own log cannot be written, and says what it dropped once it can", async () => {
  disk = mountSmallTmpfs(path.join(tmp.dir, "logdisk"), 1);
  const logFile = path.join(disk.dir, "console.log");
  fs.writeFileSync(logFile, "");
  disk.fill();
  server = await startServer({ dataDir: path.join(tmp.dir, "data"), outputFile: logFile, env: { SLIPWAY_ENGINE: "off" } });
  const url = server.url;

  const first = await health(url);
  expect(first.http).toBe(200);
  expect(first.status).toBe("degraded");
  expect(first.degraded?.join("\n")).toMatch(/the console's own std(out|err) cannot be written since .* \(ENOSPC\)/);

  const windowMs = 5_000;
  const cpu0 = cpuSeconds(server.pid);
  const t0 = Date.now();
  let answered = 0;
  while (Date.now() - t0 < windowMs) {
    await refusedSignIn(url);
    const h = await health(url);
    expect(h.http).toBe(200);
    answered++;
    // A steady trickle (about 8 logged requests a second), not a load test: what is measured is whether
    // the console spins on its own, so the requests' own cost must stay far below the bound.
    await new Promise((r) => setTimeout(r, 100));
  }
  const cores = (cpuSeconds(server.pid) - cpu0) / ((Date.now() - t0) / 1000);
  // A spinning console holds a whole core; serving these requests takes a fraction of one.
  expect(cores).toBeLessThan(0.6);
  expect(answered).toBeGreaterThan(5);

  disk.free();
  const deadline = Date.now() + 90_000;
  let text = "";
  while (Date.now() < deadline) {
    await refusedSignIn(url);
    text = fs.readFileSync(logFile, "utf8");
    if (/write\(s\) to the console's std(out|err) were dropped since .*: ENOSPC/.test(text)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(text).toMatch(/\[slipway\] \d+ write\(s\) to the console's std(out|err) were dropped since .*: ENOSPC/);
  console.log(`console-log-full-disk: ${cores.toFixed(3)} cores over ${windowMs} ms with ${answered} health answers; log after recovery: ${JSON.stringify(text.slice(0, 300))}`);
}, 200_000);
