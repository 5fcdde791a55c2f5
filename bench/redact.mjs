// Redaction benchmark: `node bench/redact.mjs`
//
// What one log line costs to redact when a service has 100 secrets (each matched as written,
// base64- and URL-encoded: ~300 needles), using server/secrets/redactor.ts as the log writer does.
// Lines are log-like text of 40–200 characters (requests, JSON, stack frames, base64 blobs, unicode);
// 1 % contain a secret. Each round redacts every line once and divides by the line count; the
// median over rounds is the number to watch (goal ≤ 2 µs per line). It also times lines that do
// contain a secret, and the straightforward split/join implementation for comparison, and checks
// that both produce the same output. It measures and prints; it never fails on a slow number.
//
// Environment (optional): BENCH_LINES (default 20000), BENCH_ROUNDS (default 31), BENCH_SECRETS (default 100),
// BENCH_SHORTEST (default: none) adds one secret of that many characters — the scan's window is the
// shortest secret, so this shows the worst case (4 is the shortest redacted).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { buildSync } from "esbuild";

const LINES = Number(process.env.BENCH_LINES ?? 20000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31);
const SECRETS = Number(process.env.BENCH_SECRETS ?? 100);
const SHORTEST = process.env.BENCH_SHORTEST ? Number(process.env.BENCH_SHORTEST) : null;

// The redactor is TypeScript without imports: compile it to a temp module and load that.
const root = path.resolve(import.meta.dirname, "..");
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-redact-")), "redactor.mjs");
buildSync({ entryPoints: [path.join(root, "server/secrets/redactor.ts")], outfile: out, format: "esm", platform: "node", bundle: true, logLevel: "silent" });
const { createRedactor, REDACTED } = await import(pathToFileURL(out).href);

// Deterministic input: the same lines and secrets every run.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (a) => a[Math.floor(rand() * a.length)];
const randomText = (n, alphabet) => Array.from({ length: n }, () => pick(alphabet)).join("");
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX = "0123456789abcdef";

const secrets = Array.from({ length: SECRETS }, (_, i) => {
  switch (i % 4) {
    case 0: return randomText(32, HEX);
    case 1: return `sk_live_${randomText(24, ALNUM)}`;
    case 2: return `p@ss w0rd/${randomText(12, ALNUM)}!`;
    default: return `postgres://app:${randomText(20, ALNUM)}@db.internal:5432/shop`;
  }
});

if (SHORTEST) secrets[secrets.length - 1] = randomText(SHORTEST, ALNUM);

const templates = [
  () => `GET /api/orders/${Math.floor(rand() * 1e6)}?page=${Math.floor(rand() * 50)} 200 ${Math.floor(rand() * 900)}ms`,
  () => `{"level":"info","time":${Date.now()},"msg":"request completed","reqId":"${randomText(16, HEX)}","status":200,"durationMs":${(rand() * 100).toFixed(2)}}`,
  () => `    at Object.handler (/app/node_modules/some-lib/dist/index.js:${Math.floor(rand() * 2000)}:${Math.floor(rand() * 80)})`,
  () => `payload=${randomText(60 + Math.floor(rand() * 60), ALNUM + "+/")}=`,
  () => `user ${randomText(8, ALNUM)}@example.com signed in from 203.0.113.${Math.floor(rand() * 255)} — ok ✓ 日本語`,
  () => `npm WARN deprecated ${randomText(10, ALNUM)}@${Math.floor(rand() * 9)}.${Math.floor(rand() * 20)}.0: this package is no longer supported`,
];
const encodings = [(s) => s, (s) => Buffer.from(s).toString("base64"), (s) => encodeURIComponent(s)];
const lines = Array.from({ length: LINES }, () => {
  const line = pick(templates)();
  if (rand() >= 0.01) return line;
  const at = Math.floor(rand() * line.length);
  return `${line.slice(0, at)}${pick(encodings)(pick(secrets))}${line.slice(at)}`;
});
const withSecret = lines.filter((l) => secrets.some((s) => encodings.some((e) => l.includes(e(s)))));

// The obvious implementation, for comparison: every needle, split/join, longest first.
function naiveRedactor(values) {
  const forms = (v) => [...new Set([v, Buffer.from(v, "utf8").toString("base64"), encodeURIComponent(v)])].filter((f) => f.length >= 4);
  const needles = [...new Set(values.flatMap(forms))].sort((a, b) => b.length - a.length);
  return (text) => {
    let o = text;
    for (const n of needles) if (o.includes(n)) o = o.split(n).join(REDACTED);
    return o;
  };
}

const fast = createRedactor(secrets);
const naive = naiveRedactor(secrets);

let mismatches = 0;
let redactedLines = 0;
for (const l of lines) {
  const a = fast(l);
  if (a !== naive(l)) mismatches++;
  if (a !== l) redactedLines++;
  if (secrets.some((s) => a.includes(s))) mismatches++;
}

let sink = 0;
function perLine(fn, input, rounds) {
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < input.length; i++) sink += fn(input[i]).length;
    samples.push(Number(process.hrtime.bigint() - t0) / input.length);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], p90: samples[Math.floor(samples.length * 0.9)], min: samples[0] };
}

// Warm up both (JIT), then measure.
perLine(fast, lines, 3);
perLine(naive, lines, 3);
const all = perLine(fast, lines, ROUNDS);
const hits = perLine(fast, withSecret.length ? withSecret : lines, ROUNDS);
const base = perLine(naive, lines, Math.max(5, Math.floor(ROUNDS / 3)));

const avgLen = lines.reduce((n, l) => n + l.length, 0) / lines.length;
const us = (ns) => `${(ns / 1000).toFixed(3)} µs`;
console.log(`redaction with ${SECRETS} secrets${SHORTEST ? ` (the shortest ${SHORTEST} characters)` : ""} (${SECRETS * 3} needles incl. base64 and URL-encoded forms), ${LINES} lines of ~${avgLen.toFixed(0)} chars, ${redactedLines} lines redacted`);
console.log(`  per line, all lines:          median ${us(all.median)}  p90 ${us(all.p90)}  min ${us(all.min)}   (goal ≤ 2 µs)`);
console.log(`  per line, lines with secrets: median ${us(hits.median)}  p90 ${us(hits.p90)}  (${withSecret.length} lines)`);
console.log(`  split/join baseline:          median ${us(base.median)}  (${(base.median / all.median).toFixed(1)}× slower)`);
console.log(`  output identical to the baseline, no secret left: ${mismatches === 0 ? "yes" : `NO (${mismatches} mismatches)`}`);
console.log(`REDACT_MEDIAN_NS_PER_LINE=${all.median.toFixed(0)}`);
if (sink < 0) console.log(sink);
fs.rmSync(path.dirname(out), { recursive: true, force: true });
