// Log viewer benchmark: `node bench/log-viewer.mjs` (builds first when the production build is missing or stale).
// Issue 4 asks the viewer to "stay smooth with 100k lines loaded and 1M stored"; this measures it.
//
// Against the built console (scripts/console-server.mjs, embedded PGlite on a temp data folder):
//   1. creates the "chatty" app's service (bench/lib/chatty-app.mjs), stops the console, opens its
//      PGlite folder in this process and stores BENCH_STORED (1,000,000) ~100-byte lines for that
//      service with one `insert … select … from generate_series` as 2,000-line chunks (spread over the last hour, two
//      instance ids), starts the console again on the same folder and deploys the app;
//   2. opens the service's logs page (…/s/chatty/logs) in a real Chromium (Playwright, /usr/bin/chromium,
//      headless, signed in with the session cookie) and measures inside the page: requestAnimationFrame
//      intervals and PerformanceObserver "longtask" entries, per phase:
//        a. stream: the app prints BENCH_LINES (100,000) lines at BENCH_RATE (10,000/s) while the viewer
//           follows live, until the viewer holds them all (its `data-lines`) or shows the app's last line;
//        b. scroll: the virtual list from the bottom to the top of those lines in BENCH_SCROLL_STEPS (200)
//           scrollTop steps, two frames apart (the scroll event's render lands after the first; also
//           counted: steps whose rows in view were still not rendered then, i.e. a blank view);
//        c. filter: the time from the text filter's input event to the filtered lines being shown
//           (includes the viewer's 300 ms typing pause and the server's search over 1.1M rows), for a
//           filter matching 1% of the stored lines and one matching 11 lines in all;
//      then JS heap (after a forced GC) and DOM nodes of the viewer holding the lines, and the
//      console's RSS (VmRSS of the console process alone: the app runs in its own process).
//   Prints p50/p95/p99/max frame interval, frames over 50 ms, long tasks (count, total, max) per phase,
//   and ok/MISSED against a reading of "smooth": p95 frame ≤ 33.4 ms (two 60 Hz frames) and no long task over 200 ms per
//   phase; the filtered lines shown within 1 s of typing. Same machine as console, app and browser:
//   on 2 shared cores the numbers are noisy, so compare runs made side by side.
// It measures and prints; it never asserts (the exit code is 0 unless the bench itself broke).
//
// Environment (all optional):
//   BENCH_STORED   lines stored before the page opens (default 1000000)
//   BENCH_LINES    lines streamed into the viewer (default 100000)   BENCH_RATE  lines/s (default 10000)
//   BENCH_SCROLL_STEPS  scroll steps from bottom to top (default 200)
//   SLIPWAY_NEXT_DIST  Next's output folder (default .next); built there and served from there.
// Example: `SLIPWAY_NEXT_DIST=.next-vb node bench/log-viewer.mjs`
//
// Plain Node ESM. Everything it starts (console, instance, browser, temp folders) is stopped and removed on exit.
// The functions passed to page.evaluate / addInitScript run in the browser, where these exist.
/* global window, document, requestAnimationFrame, PerformanceObserver */
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { clearInterval, setInterval } from "node:timers";
import { URLSearchParams } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { chromium } from "@playwright/test";
import { buildIfStale } from "../scripts/next-build.mjs";
import { CHATTY_HOST, CHATTY_SOURCE_ROOT, createChattyService, deployAndWait, writeChattyApp } from "./lib/chatty-app.mjs";
import { makeTempDir, onSignalCleanup } from "./lib/cleanup.mjs";
import { request, signIn as signInAs, startConsole as startNext } from "./lib/console-client.mjs";
import { freePort, intEnv, rssOf } from "./lib/processes.mjs";

const STORED = intEnv("BENCH_STORED", 1_000_000);
const LINES = intEnv("BENCH_LINES", 100_000);
const RATE = intEnv("BENCH_RATE", 10_000);
const SCROLL_STEPS = intEnv("BENCH_SCROLL_STEPS", 200);
const EMAIL = "bench@example.test";
const PASSWORD = "bench-password-1";
// The reading of "smooth" printed against (issue 4 gives none): ~30 fps at p95, no visible freeze.
// Frames come at 16.7 ms steps (60 Hz): 33.4 ms is "at most two frames", not rounding noise.
const GOAL_P95_FRAME_MS = 33.4;
const GOAL_MAX_LONG_TASK_MS = 200;
const GOAL_FILTER_MS = 1000;
// The same arguments as the e2e tests (stack notes, pitfall 10); the last two make the heap reading exact.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--enable-precise-memory-info",
  "--js-flags=--expose-gc",
];
// Filters of phase c: "status=503" is in 1% of the stored lines (none of the streamed ones), so the
// newest 500 matches lie under the 100k streamed lines; "seq=4242" matches 11 streamed lines in all.
const FILTERS = [
  { label: "1% of stored", text: "status=503" },
  { label: "11 lines in all", text: "seq=4242" },
];

let console_ = null;
let browser = null;
onSignalCleanup(async () => {
  await browser?.close().catch(() => {});
});

// ---------------------------------------------------------------------------------------------
// Console and seeding

async function startConsole(dir, routerPort) {
  const env = { SLIPWAY_DATA_DIR: path.join(dir, "data"), SLIPWAY_WORK_DIR: path.join(dir, "work"), SLIPWAY_ROUTER_PORT: String(routerPort), SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD, SLIPWAY_SOURCE_ROOTS: CHATTY_SOURCE_ROOT };
  console_ = await startNext({ env });
  return console_;
}

const signIn = (server) => signInAs(server, { email: EMAIL, password: PASSWORD });

/**
 * Stores `count` lines for the service straight into the stopped console's PGlite folder (same
 * settings as db/client.ts). ~100 bytes each, like an HTTP access log; every 100th says status=503.
 */
async function seed(dataDir, serviceId, count) {
  const t0 = performance.now();
  const db = await PGlite.create({
    dataDir: path.join(dataDir, "pgdata"),
    postgresqlconf: ["shared_buffers=16MB", "work_mem=1MB", "maintenance_work_mem=8MB", "wal_buffers=1MB"],
  });
  const opened = performance.now();
  // As the console's writer stores them: chunks of up to 2,000 consecutive lines, ids from log_line_ids.
  await db.query(
    `with l as (
       select g, 'chatty-seed' || (g % 2 + 1) || '-5f3a9c1e-' || (g % 2 + 1) as instance_id,
              'level=info method=GET path=/api/orders/' || (g::bigint * 7919 % 100000) ||
                ' status=' || (case when g % 100 = 0 then 503 else 200 end) ||
                ' dur_ms=' || (g % 997) || ' req=' || left(md5(g::text), 16) || ' user=u' || (g % 5000) as line,
              now() - interval '1 hour' + g * (interval '1 hour' / $2::int) as at
       from generate_series(1, $2::int) g),
     ids as (select setval('log_line_ids', nextval('log_line_ids') + $2::int - 1) - $2::int as base)
     insert into log_chunks (first_id, last_id, service_id, deployment_id, min_at, max_at, instance_ids, streams, ats, lines, bytes)
     select base + min(g), base + max(g), $1::uuid, null, min(at), max(at), array_agg(instance_id order by g), array_agg('stdout'::text order by g),
            array_agg(at order by g), array_agg(line order by g), sum(octet_length(line))
     from l, ids group by base, (g - 1) / 2000`,
    [serviceId, count],
  );
  const inserted = performance.now();
  const { rows } = await db.query(
    `select sum(last_id - first_id + 1)::int as n, (sum(bytes) / sum(last_id - first_id + 1))::int as avg_bytes,
            pg_size_pretty(pg_total_relation_size('log_chunks')) as size
     from log_chunks where service_id = $1`,
    [serviceId],
  );
  await db.close();
  const closed = performance.now();
  return { open: opened - t0, insert: inserted - opened, close: closed - inserted, total: closed - t0, ...rows[0] };
}

// ---------------------------------------------------------------------------------------------
// In the page: a frame recorder and a long-task observer from the first script on.

function installRecorders() {
  const rec = { frames: [], longTasks: [], inputAt: null };
  Object.defineProperty(window, "__bench", { value: rec });
  const frame = (t) => {
    rec.frames.push(t);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) rec.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch {
    rec.longTasks = null; // not supported: reported as such
  }
  // The filter's input event: when typing ended (phase c measures from here).
  document.addEventListener("input", () => (rec.inputAt = performance.now()), true);
}

/** Frame intervals and long tasks between two page times. */
async function phaseStats(page, t0, t1) {
  const { frames, longTasks } = await page.evaluate(([a, b]) => {
    const rec = window.__bench;
    return { frames: rec.frames.filter((t) => t >= a && t <= b), longTasks: rec.longTasks?.filter(([s]) => s >= a && s <= b) ?? null };
  }, [t0, t1]);
  const intervals = [];
  for (let i = 1; i < frames.length; i++) intervals.push(frames[i] - frames[i - 1]);
  intervals.sort((x, y) => x - y);
  const tasks = longTasks ?? [];
  return {
    seconds: (t1 - t0) / 1000,
    frames: frames.length,
    p50: pct(intervals, 50),
    p95: pct(intervals, 95),
    p99: pct(intervals, 99),
    max: intervals.at(-1) ?? NaN,
    over50: intervals.filter((d) => d > 50).length,
    longTasks: longTasks === null ? NaN : tasks.length,
    longMs: tasks.reduce((s, [, d]) => s + d, 0),
    longMax: tasks.reduce((m, [, d]) => Math.max(m, d), 0),
  };
}

const now = (page) => page.evaluate(() => performance.now());
const linesHeld = (page) => page.evaluate(() => Number(document.querySelector('[data-testid="log-status"]')?.dataset.lines ?? 0));
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const mb = (b) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : "n/a");

function smooth(s) {
  return s.p95 <= GOAL_P95_FRAME_MS && s.longMax <= GOAL_MAX_LONG_TASK_MS ? "ok" : "MISSED";
}

function printPhase(name, s, extra = "") {
  console.log(
    `${name.padEnd(8)} ${s.seconds.toFixed(1)} s, ${s.frames} frames: interval p50 ${ms(s.p50)} p95 ${ms(s.p95)} p99 ${ms(s.p99)} max ${ms(s.max)}, ${s.over50} over 50 ms; ` +
      `long tasks ${s.longTasks} (total ${s.longMs.toFixed(0)} ms, max ${s.longMax.toFixed(0)} ms)${extra} → smooth: ${smooth(s)}`,
  );
}

/** JS heap (after a GC, so garbage does not count) and DOM nodes: the whole page and the viewer alone. */
function memoryOf(page) {
  return page.evaluate(() => {
    const gc = globalThis.gc;
    if (typeof gc === "function") gc();
    const mem = performance.memory;
    return {
      heap: mem ? mem.usedJSHeapSize : NaN,
      domPage: document.getElementsByTagName("*").length,
      domViewer: document.querySelector('[data-testid="log-viewer"]')?.getElementsByTagName("*").length ?? 0,
    };
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  await buildIfStale();
  // Per process: a second run at the same time must not remove this one's app when it exits.
  const appDir = writeChattyApp(`bench-log-viewer-${process.pid}`);
  const dir = makeTempDir("slipway-bench-log-viewer");
  const routerPort = await freePort();

  // 1. The service, then 1M stored lines written while the console is stopped (one PGlite per folder).
  let c = await startConsole(dir, routerPort);
  const { env, service } = await createChattyService(c, await signIn(c), appDir);
  await c.stop();
  const seeded = await seed(path.join(dir, "data"), service.id, STORED);
  console.log(
    `seeded ${seeded.n.toLocaleString("en")} lines (avg ${seeded.avg_bytes} bytes, log_chunks ${seeded.size}) in ${(seeded.total / 1000).toFixed(1)} s ` +
      `(open ${(seeded.open / 1000).toFixed(1)} s, insert ${(seeded.insert / 1000).toFixed(1)} s = ${Math.round(STORED / (seeded.insert / 1000)).toLocaleString("en")} rows/s, close ${(seeded.close / 1000).toFixed(1)} s)`,
  );
  c = await startConsole(dir, routerPort);
  const cookie = await signIn(c);
  await deployAndWait(c, cookie, env.id, service.id);
  console.log(`console pid ${c.pid} (restart on the seeded folder: ${(c.startMs / 1000).toFixed(1)} s to healthy), chatty deployed; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);

  // 2. The browser, signed in with the console's session cookie.
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const eq = cookie.indexOf("=");
  await context.addCookies([{ name: cookie.slice(0, eq), value: cookie.slice(eq + 1), url: c.url, httpOnly: true, sameSite: "Lax" }]);
  await context.addInitScript(installRecorders);
  const page = await context.newPage();
  const t0Open = performance.now();
  await page.goto(`${c.url}/o/bench/p/shop/e/staging/s/chatty/logs`);
  // The live tail's first lines (the newest 500 stored) mean the subscription is open.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="log-status"]')?.dataset.lines ?? 0) > 0, null, { timeout: 60_000, polling: 100 });
  const tail = await linesHeld(page);
  console.log(`logs page open with the live tail (${tail} lines) after ${((performance.now() - t0Open) / 1000).toFixed(1)} s\n`);

  const rss0 = rssOf(c.pid);
  let rssPeak = rss0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(c.pid))), 250);

  // a. Stream LINES lines at RATE while following.
  const seconds = Math.ceil(LINES / RATE);
  const round = "V";
  // The tail, every printed line and the app's "done" line.
  const target = tail + LINES + 1;
  const aStart = await now(page);
  const t0Stream = performance.now();
  const q = new URLSearchParams({ rate: String(RATE), seconds: String(seconds), bytes: "100", round }).toString();
  const res = await request({ port: routerPort }, "GET", `/print?${q}`, { headers: { host: CHATTY_HOST } });
  if (res.status !== 200) throw new Error(`print request: HTTP ${res.status} ${res.body}`);
  // Done when the viewer shows the app's last line (it follows all others, so fewer lines held then
  // means some were lost or skipped: printed, not waited for), or holds more than every line.
  const done = await page.waitForFunction(
    ([want, last]) => {
      const lines = Number(document.querySelector('[data-testid="log-status"]')?.dataset.lines ?? 0);
      const texts = document.querySelectorAll('[data-testid="log-text"]');
      const text = texts.length ? texts[texts.length - 1].textContent : "";
      if (text.startsWith(last)) return { lines, printed: Number(text.slice(last.length)) };
      return lines > want ? { lines, printed: null } : false;
    },
    [target, `r=${round} done printed=`],
    { timeout: (seconds + 180) * 1000, polling: 250 },
  );
  const aEnd = await now(page);
  const streamWall = (performance.now() - t0Stream) / 1000;
  const { lines: held, printed } = await done.jsonValue();
  const expected = printed === null ? target : tail + printed + 1;
  const rssStream = rssPeak;
  const a = await phaseStats(page, aStart, aEnd);
  printPhase("stream", a, `; app printed ${printed?.toLocaleString("en") ?? "?"} of ${LINES.toLocaleString("en")} lines at ${RATE.toLocaleString("en")}/s → viewer holds ${held.toLocaleString("en")} (tail + printed + done = ${expected.toLocaleString("en")}${held < expected ? `, ${(expected - held).toLocaleString("en")} missing` : ""}) after ${streamWall.toFixed(1)} s`);

  // b. Scroll from the bottom to the top, one step per frame.
  const scroll = await page.evaluate(async (steps) => {
    const el = document.querySelector('[data-testid="log-scroller"]');
    const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
    // Whether rows are rendered where the view is (a blank view otherwise).
    const covered = () => {
      const rows = el.querySelectorAll('[role="listitem"]');
      if (!rows.length) return false;
      const top = el.scrollTop;
      const first = parseFloat(rows[0].style.top);
      const last = parseFloat(rows[rows.length - 1].style.top);
      return first <= top && last + 20 >= Math.min(top + el.clientHeight, el.scrollHeight) - 20;
    };
    await frame();
    const start = performance.now();
    const bottom = el.scrollHeight - el.clientHeight;
    let blank = 0;
    for (let i = 1; i <= steps; i++) {
      el.scrollTop = Math.round(bottom * (1 - i / steps));
      await frame();
      await frame();
      if (!covered()) blank++;
    }
    const end = performance.now();
    const firstRow = el.querySelector("[data-log-id]");
    return { start, end, blank, atTop: el.scrollTop, firstId: firstRow ? Number(firstRow.getAttribute("data-log-id")) : null, heightPx: el.scrollHeight };
  }, SCROLL_STEPS);
  const b = await phaseStats(page, scroll.start, scroll.end);
  printPhase("scroll", b, `; ${SCROLL_STEPS} steps over ${(scroll.heightPx / 1e6).toFixed(1)}M px, ${scroll.blank} step(s) blank a frame later, top at ${scroll.atTop}px`);
  const memory = await memoryOf(page);

  // c. Text filters: from the input event to the matching lines shown (all rows in view match).
  const filterRows = [];
  for (const f of FILTERS) {
    await page.evaluate(() => (window.__bench.inputAt = null));
    const before = await page.$('[data-testid="log-status"]');
    await page.locator("#log-search").fill(f.text);
    const shown = await page.waitForFunction(
      ([needle, old]) => {
        const status = document.querySelector('[data-testid="log-status"]');
        // The pane is remounted per filter set: a new status element with lines in it.
        if (!status || status === old || Number(status.dataset.lines ?? 0) === 0) return false;
        const texts = [...document.querySelectorAll('[data-testid="log-text"]')];
        if (!texts.length || !texts.every((t) => t.textContent.toLowerCase().includes(needle))) return false;
        return { at: performance.now(), lines: Number(status.dataset.lines) };
      },
      [f.text.toLowerCase(), before],
      { timeout: 120_000, polling: "raf" },
    );
    const { at, lines } = await shown.jsonValue();
    const inputAt = await page.evaluate(() => window.__bench.inputAt);
    const stats = await phaseStats(page, inputAt, at);
    filterRows.push({ f, latency: at - inputAt, lines, stats });
    printPhase(`filter`, stats, `; "${f.text}" (${f.label}): ${lines} line(s) shown ${(at - inputAt).toFixed(0)} ms after typing (incl. the 300 ms pause) → within ${GOAL_FILTER_MS} ms: ${at - inputAt <= GOAL_FILTER_MS ? "ok" : "MISSED"}`);
    // Back to the unfiltered live tail before the next filter.
    const filtered = await page.$('[data-testid="log-status"]');
    await page.locator("#log-search").fill("");
    await page.waitForFunction((old) => {
      const status = document.querySelector('[data-testid="log-status"]');
      return status && status !== old && Number(status.dataset.lines ?? 0) > 0;
    }, filtered, { timeout: 120_000, polling: 100 });
  }
  clearInterval(sampler);
  const rssEnd = rssOf(c.pid);

  console.log(
    `\nviewer holding ${held.toLocaleString("en")} lines (after the scroll): JS heap ${mb(memory.heap)}, DOM nodes ${memory.domViewer} in the viewer (${memory.domPage} on the page)`,
  );
  console.log(`console RSS: ${mb(rss0)} before streaming → peak ${mb(rssStream)} while streaming → ${mb(rssEnd)} at the end (peak overall ${mb(rssPeak)})`);
  console.log(`load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} (console, app, browser and anything else share ${os.cpus().length} cores)`);
  console.log(`smooth = frame interval p95 ≤ ${GOAL_P95_FRAME_MS} ms and no long task over ${GOAL_MAX_LONG_TASK_MS} ms in the phase; filter shown ≤ ${GOAL_FILTER_MS} ms after typing`);
  console.table(
    [
      { phase: "stream", ...a, verdict: smooth(a) },
      { phase: "scroll", ...b, verdict: smooth(b) },
      ...filterRows.map((r) => ({ phase: `filter ${r.f.text}`, ...r.stats, latency: Math.round(r.latency), verdict: `${smooth(r.stats)} / ${r.latency <= GOAL_FILTER_MS ? "ok" : "MISSED"}` })),
    ].map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "number" && !Number.isInteger(v) ? Number(v.toFixed(1)) : v]))),
  );

  await browser.close();
  browser = null;
  await c.stop();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err.stack ?? err);
    if (console_) console.error(console_.output().slice(-3000));
    process.exit(1);
  },
);
