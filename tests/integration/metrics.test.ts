/**
 * Metric storage and queries on a real database: rollups add up exactly, every range stays within
 * 500 points, bad ranges name the field, retention prunes exactly at its edge, markers and sparklines.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { deployments, metricSamples, type MetricTier } from "@/db/schema";
import { bus } from "@/server/engine/event-bus";
import { pruneSamples, rollup, writeSamples, type SampleRow } from "@/server/metrics/metric-store";
import { querySeries } from "@/server/metrics/query-series";
import { pickResolution, ROW_BUDGET } from "@/server/metrics/pick-resolution";
import { combine, emptyLatency, toPoint, type MetricPoint } from "@/server/metrics/sample-math";
import { retentionMs } from "@/server/metrics/metric-config";
import { createTestDb } from "../support/test-db";
import { callerFor, makeEnvironment } from "../support/actors";
import { caught } from "../support/trpc-errors";

let h: DbHandle;
let api: ReturnType<typeof callerFor>;
let envId: string;
let web: { id: string };
let other: { id: string };

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

beforeAll(async () => {
  h = await createTestDb();
  const made = await makeEnvironment(h, "metrics");
  api = made.api;
  const env = made.env;
  envId = env.id;
  const spec = { source: { path: "./examples/hello-node" }, port: 8080 };
  web = await api.service.create({ environmentId: env.id, name: "web", type: "application", spec });
  other = await api.service.create({ environmentId: env.id, name: "api", type: "application", spec });
});
afterAll(async () => h?.close());

/** A raw sample: `requests` requests, all in latency bucket `bucket`. */
function raw(serviceId: string, at: number, o: { seconds?: number; cpu?: number; rss?: number; requests?: number; bucket?: number; s4?: number; s5?: number; restarts?: number; tier?: MetricTier } = {}): SampleRow {
  const latency = emptyLatency();
  latency[o.bucket ?? 4] = o.requests ?? 0;
  return {
    serviceId,
    tier: o.tier ?? 0,
    bucketStart: new Date(at),
    seconds: o.seconds ?? 5,
    cpu: o.cpu ?? 0,
    cpuMax: o.cpu ?? 0,
    rss: o.rss ?? 0,
    rssMax: o.rss ?? 0,
    instances: 1,
    restarts: o.restarts ?? 0,
    requests: o.requests ?? 0,
    status4xx: o.s4 ?? 0,
    status5xx: o.s5 ?? 0,
    latency,
    latencyMaxMs: o.requests ? 100 : 0,
    perInstance: null,
  };
}

const rowsOf = (serviceId: string, tier: MetricTier) =>
  h.db.select().from(metricSamples).where(and(eq(metricSamples.serviceId, serviceId), eq(metricSamples.tier, tier))).orderBy(metricSamples.bucketStart);

describe("rollups", () => {
  it("adds raw samples into minutes and minutes into the hour exactly", async () => {
    const hour = Math.floor((Date.now() - 3 * HOUR) / HOUR) * HOUR;
    const rows: SampleRow[] = [];
    // Two minutes of 5 s samples: the first minute fast (bucket 2) and busy, the second slow (bucket 20).
    for (let i = 0; i < 12; i++) rows.push(raw(web.id, hour + i * 5_000, { cpu: 10, rss: 100e6, requests: 50, bucket: 2, s4: 1 }));
    for (let i = 0; i < 12; i++) rows.push(raw(web.id, hour + MIN + i * 5_000, { cpu: 30, rss: 300e6, requests: 10, bucket: 20, s5: 2, restarts: i === 3 ? 1 : 0 }));
    // Another service's rows are never mixed in.
    rows.push(raw(other.id, hour, { requests: 999 }));
    await writeSamples(h.db, rows);
    await rollup(h.db, { serviceIds: [web.id], to: 1, start: hour });
    await rollup(h.db, { serviceIds: [web.id], to: 1, start: hour + MIN });
    // Rolling up twice rewrites the same row.
    await rollup(h.db, { serviceIds: [web.id], to: 1, start: hour + MIN });
    const minutes = await rowsOf(web.id, 1);
    expect(minutes.map((m) => m.bucketStart.getTime())).toEqual([hour, hour + MIN]);
    expect(minutes[0]).toMatchObject({ seconds: 60, requests: 600, status4xx: 12, status5xx: 0, restarts: 0 });
    expect(minutes[1]).toMatchObject({ seconds: 60, requests: 120, status4xx: 0, status5xx: 24, restarts: 1 });
    expect(minutes[0].latency[2]).toBe(600);
    expect(minutes[1].latency[20]).toBe(120);
    expect(minutes[0].cpu).toBeCloseTo(10);
    expect(minutes[1].rss).toBeCloseTo(300e6);

    await rollup(h.db, { serviceIds: [web.id], to: 2, start: hour });
    const [hourRow] = await rowsOf(web.id, 2);
    expect(hourRow).toMatchObject({ seconds: 120, requests: 720, status4xx: 12, status5xx: 24, restarts: 1 });
    expect(hourRow.cpu).toBeCloseTo(20);
    expect(hourRow.rss).toBeCloseTo(200e6);
    expect(hourRow.latency[2]).toBe(600);
    expect(hourRow.latency[20]).toBe(120);
    // Percentiles come from the added histograms, never from averaging percentiles.
    const p = toPoint(hour, combine(rows.filter((r) => r.serviceId === web.id)));
    const fromHour = toPoint(hour, hourRow);
    expect([fromHour.p50, fromHour.p95, fromHour.p99]).toEqual([p.p50, p.p95, p.p99]);
    expect(fromHour.p50).toBeLessThan(2);
    expect(fromHour.p95).toBeGreaterThan(100);
    expect(fromHour.rps).toBeCloseTo(6, 5);
  });
});

describe("ranges", () => {
  const now = Date.now();
  const RANGES: [string, number][] = [
    ["15 min", 15 * MIN],
    ["1 h", HOUR],
    ["6 h", 6 * HOUR],
    ["24 h", DAY],
    ["7 d", 7 * DAY],
    ["30 d", 30 * DAY],
    ["90 d", 90 * DAY],
    ["an odd custom range", 3 * DAY + 17 * MIN + 3_000],
    ["a minute", MIN],
  ];

  it.each(RANGES)("%s never asks for more than 500 points", (_name, span) => {
    for (const end of [now, now - 2 * DAY, now - 20 * DAY]) {
      if (end - span < now - 90 * DAY) continue;
      const r = pickResolution({ from: end - span, to: end, now, rawIntervalMs: 5_000 });
      expect(Math.ceil(span / r.stepMs) + 1).toBeLessThanOrEqual(501);
      // One query never reads more than the row budget (an hour tier is the floor for the oldest ranges).
      expect(span / ({ 0: 5_000, 1: MIN, 2: HOUR } as const)[r.tier]).toBeLessThanOrEqual(ROW_BUDGET);
      // The tier read still holds data that old.
      expect(end - span).toBeGreaterThanOrEqual(now - retentionMs()[r.tier]);
    }
  });

  it("downsamples dense data to at most 500 points (a day of 5 s samples, a week of minutes)", async () => {
    const svc = await api.service.create({ environmentId: envId, name: "dense", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
    const start = now - DAY + MIN;
    const rows: SampleRow[] = [];
    for (let t = start; t < now; t += 5_000) rows.push(raw(svc.id, t, { requests: 5, cpu: 1 }));
    for (let t = now - 7 * DAY + HOUR; t < now; t += MIN) rows.push(raw(svc.id, t, { tier: 1, seconds: 60, requests: 60 }));
    await writeSamples(h.db, rows, 2_000);
    for (const span of [HOUR, 6 * HOUR, DAY, 7 * DAY]) {
      const s = await querySeries(h.db, { serviceId: svc.id, from: now - span, to: now, now });
      expect(s.points.length).toBeLessThanOrEqual(500);
      expect(s.points.length).toBeGreaterThan(span === HOUR ? 300 : 100);
      // Same traffic whatever the spacing: 1 request/s.
      const busy = s.points.slice(1, -1);
      expect(busy.every((p) => Math.abs(p.rps - 1) < 0.01)).toBe(true);
    }
  });

  it("shows the minute and hour that are still open (no rollup yet) from the finer tiers", async () => {
    const svc = await api.service.create({ environmentId: envId, name: "tail", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
    const t = Date.now();
    const thisHour = Math.floor(t / HOUR) * HOUR;
    const thisMinute = Math.floor(t / MIN) * MIN;
    const rows: SampleRow[] = [];
    // Closed hours: hour rows; closed minutes of this hour: minute rows; this minute: raw rows only.
    for (let h = thisHour - 10 * HOUR; h < thisHour; h += HOUR) rows.push(raw(svc.id, h, { tier: 2, seconds: 3600, requests: 3600 }));
    for (let m = thisHour; m < thisMinute; m += MIN) rows.push(raw(svc.id, m, { tier: 1, seconds: 60, requests: 60 }));
    rows.push(raw(svc.id, thisMinute, { seconds: 1, requests: 50 }));
    await writeSamples(h.db, rows);
    for (const span of [6 * HOUR, 3 * DAY, 30 * DAY]) {
      const s = await querySeries(h.db, { serviceId: svc.id, from: t - span, to: t + 1, now: t });
      expect(s.tier).toBe(span === 6 * HOUR ? 1 : 2);
      // The newest point includes the raw samples of the open minute.
      expect(s.points.at(-1)?.t).toBe(Math.floor(thisMinute / s.stepMs) * s.stepMs);
      expect(s.points.at(-1)?.rps).toBeGreaterThan(1);
    }
  });

  it("refuses a range that ends before it starts, naming `to`", async () => {
    const e = await caught(api.metrics.service({ serviceId: web.id, from: new Date(now), to: new Date(now - HOUR) }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.fieldErrors?.to?.join(" ")).toMatch(/after from/);
  });

  it("refuses a range wider than retention, naming `from`", async () => {
    const e = await caught(api.metrics.service({ serviceId: web.id, from: new Date(now - 91 * DAY), to: new Date(now) }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.fieldErrors?.from?.join(" ")).toMatch(/retention/);
    const old = await caught(api.metrics.service({ serviceId: web.id, from: new Date(now - 95 * DAY), to: new Date(now - 94 * DAY) }));
    expect(old.fieldErrors?.from?.join(" ")).toMatch(/retention/);
  });

  it("refuses dates that are not dates, naming the field", async () => {
    const e = await caught(api.metrics.service({ serviceId: web.id, from: "yesterday" as unknown as Date, to: new Date(now) }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.fieldErrors).toHaveProperty("from");
  });
});

describe("retention", () => {
  it("deletes exactly the rows older than each tier keeps", async () => {
    const svc = await api.service.create({ environmentId: envId, name: "prune", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
    const now = Date.now();
    const keep = retentionMs();
    const rows: SampleRow[] = [];
    for (const tier of [0, 1, 2] as const) {
      rows.push(raw(svc.id, now - keep[tier] - 1, { tier }), raw(svc.id, now - keep[tier], { tier }), raw(svc.id, now - keep[tier] + 1, { tier }));
    }
    await writeSamples(h.db, rows);
    const deleted = await pruneSamples(h.db, { now });
    for (const tier of [0, 1, 2] as const) {
      const left = (await rowsOf(svc.id, tier)).map((r) => r.bucketStart.getTime());
      expect(left, `tier ${tier}`).toEqual([now - keep[tier], now - keep[tier] + 1]);
      expect(deleted[tier]).toBeGreaterThanOrEqual(1);
    }
  });
});

/** Through createCaller a tracked() value arrives as its envelope, [id, data]. */
const envelope = (v: unknown) => v as [string, MetricPoint];

describe("deployment markers, environment overview, live samples", () => {
  it("marks the deployments of the service and of its whole environment inside the range", async () => {
    const now = Date.now();
    const base = { environmentId: envId, trigger: "ui" as const, snapshot: { services: [] }, requestKey: "k" };
    const [inRange, envWide, otherSvc, tooOld] = await h.db
      .insert(deployments)
      .values([
        { ...base, serviceId: web.id, status: "DEPLOYED" as const, createdAt: new Date(now - 20 * MIN), finishedAt: new Date(now - 19 * MIN) },
        { ...base, serviceId: null, status: "BUILD_ERROR" as const, createdAt: new Date(now - 10 * MIN), finishedAt: new Date(now - 9 * MIN) },
        { ...base, serviceId: other.id, status: "DEPLOYED" as const, createdAt: new Date(now - 5 * MIN), finishedAt: new Date(now - 4 * MIN) },
        { ...base, serviceId: web.id, status: "DEPLOYED" as const, createdAt: new Date(now - 3 * HOUR), finishedAt: new Date(now - 3 * HOUR) },
      ])
      .returning();
    const s = await api.metrics.service({ serviceId: web.id, from: new Date(now - HOUR), to: new Date(now) });
    expect(s.markers.map((m) => [m.id, m.status])).toEqual([
      [inRange.id, "DEPLOYED"],
      [envWide.id, "BUILD_ERROR"],
    ]);
    expect(s.markers[0].at).toBe(now - 19 * MIN);
    expect(s.markers.map((m) => m.id)).not.toContain(otherSvc.id);
    expect(s.markers.map((m) => m.id)).not.toContain(tooOld.id);
  });

  it("gives every service of the environment its status, instance count and last hour's sparkline", async () => {
    const now = Date.now();
    await writeSamples(h.db, [raw(other.id, now - 2 * MIN, { requests: 50, seconds: 5 }), raw(other.id, now - 2 * MIN + 5_000, { requests: 100, seconds: 5 })]);
    const overview = await api.metrics.environment({ environmentId: envId });
    const api_ = overview.services.find((s) => s.name === "api");
    expect(api_).toMatchObject({ status: "NOT_DEPLOYED", instances: 0 });
    expect(api_?.points.length).toBeGreaterThanOrEqual(1);
    expect(api_?.points.reduce((a, p) => Math.max(a, p.rps), 0)).toBeGreaterThanOrEqual(10);
    expect(overview.services.map((s) => s.name)).toContain("web");
  });

  it("streams each new sample as tracked(bucket start), resuming after the last id", async () => {
    const svc = await api.service.create({ environmentId: envId, name: "live", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
    const now = Date.now();
    await writeSamples(h.db, [raw(svc.id, now - 10_000, { requests: 5 })]);
    const stream = await api.metrics.watch({ serviceId: svc.id });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect(envelope(first.value)[0]).toBe(String(now - 10_000));
    // A new tick: stored, then announced on the bus.
    const next = it.next();
    await writeSamples(h.db, [raw(svc.id, now - 5_000, { requests: 10 })]);
    bus.emit("metrics", { at: now });
    const second = await next;
    expect(envelope(second.value)[0]).toBe(String(now - 5_000));
    expect(envelope(second.value)[1].rps).toBe(2);
    await it.return?.();

    // Resuming after the first id gives the second sample, not the first again.
    const resumed = await api.metrics.watch({ serviceId: svc.id, lastEventId: String(now - 10_000) });
    const r = await resumed[Symbol.asyncIterator]().next();
    expect(envelope(r.value)[0]).toBe(String(now - 5_000));
  });

  it("tells the environment overview when a newer sample is stored, resuming after the last id", async () => {
    const svc = await api.service.create({ environmentId: envId, name: "overview-live", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
    const base = Date.now() + 60_000; // newer than every sample the other tests stored
    await writeSamples(h.db, [raw(svc.id, base, { requests: 5 })]);
    const stream = await api.metrics.watchEnvironment({ environmentId: envId });
    const it = stream[Symbol.asyncIterator]();
    // Backfill: the newest sample there is.
    expect(envelope((await it.next()).value)[0]).toBe(String(base));
    // A tick that stored nothing newer says nothing; the next one that did, does.
    const next = it.next();
    bus.emit("metrics", { at: base });
    await writeSamples(h.db, [raw(svc.id, base + 5_000, { requests: 10 })]);
    bus.emit("metrics", { at: base + 5_000 });
    const [id, value] = envelope((await next).value);
    expect([id, value]).toEqual([String(base + 5_000), { t: base + 5_000 }]);
    await it.return?.();

    // Resuming at the newest id waits for a newer one; resuming before it gets it at once.
    const behind = await api.metrics.watchEnvironment({ environmentId: envId, lastEventId: String(base) });
    expect(envelope((await behind[Symbol.asyncIterator]().next()).value)[0]).toBe(String(base + 5_000));
    const current = (await api.metrics.watchEnvironment({ environmentId: envId, lastEventId: String(base + 5_000) }))[Symbol.asyncIterator]();
    const pending = current.next();
    await writeSamples(h.db, [raw(svc.id, base + 10_000, { requests: 1 })]);
    bus.emit("metrics", { at: base + 10_000 });
    expect(envelope((await pending).value)[0]).toBe(String(base + 10_000));
    await current.return?.();
  });
});
