// The console's own output (stdout/stderr) degrades instead of throwing when it cannot be written.
//
// With stdout/stderr redirected to a file on a full disk, a write fails with ENOSPC and the stream emits
// 'error'. Unhandled, that is an uncaught exception; Next's handler logs it with console.error, whose
// write fails again: a loop on the nextTick queue that held a core and starved every request. Here each
// stream handles its own errors: after a failure its writes are dropped and counted (never thrown, never
// re-emitted), retried directly on the file descriptor with backoff (1 s → 30 s); the first write that
// goes through is preceded by a line saying how many were dropped and why. /api/health reads the state
// (server/health/health-report.ts) through the global below.
import fs from "node:fs";

export const CONSOLE_OUTPUT = Symbol.for("slipway.consoleOutput");
const MIN_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

/** The shared state: lines dropped since start, and the stream that is failing now (if one is). */
function state() {
  globalThis[CONSOLE_OUTPUT] ??= { dropped: 0, lastDropAt: null, failing: null };
  return globalThis[CONSOLE_OUTPUT];
}

function guard(name, stream) {
  if (!stream || stream.__slipwayGuarded) return;
  stream.__slipwayGuarded = true;
  const s = state();
  const original = stream.write.bind(stream);
  /** { code, since, dropped, retryAt, delay } while this stream fails. */
  let broken = null;
  const count = () => {
    broken.dropped++;
    s.dropped++;
    s.lastDropAt = Date.now();
  };
  const fail = (err) => {
    const code = err?.code ?? "error";
    if (!broken) {
      broken = { code, since: Date.now(), dropped: 0, retryAt: Date.now() + MIN_RETRY_MS, delay: MIN_RETRY_MS };
      s.failing = { stream: name, code, since: broken.since };
    } else {
      broken.code = code;
      broken.delay = Math.min(MAX_RETRY_MS, broken.delay * 2);
      broken.retryAt = Date.now() + broken.delay;
    }
  };
  // The chunk whose write failed asynchronously is lost too: count it.
  stream.on("error", (err) => {
    fail(err);
    count();
  });
  stream.write = function write(chunk, encoding, cb) {
    const done = typeof encoding === "function" ? encoding : cb;
    if (!broken) {
      try {
        return original(chunk, encoding, cb);
      } catch (err) {
        fail(err);
      }
    } else if (Date.now() >= broken.retryAt && typeof stream.fd === "number") {
      // The stream itself is destroyed after its error: write to its descriptor directly from now on.
      try {
        const text = typeof chunk === "string" ? chunk : Buffer.from(chunk);
        fs.writeSync(stream.fd, `[slipway] ${broken.dropped} write(s) to the console's ${name} were dropped since ${new Date(broken.since).toISOString()}: ${broken.code}\n`);
        fs.writeSync(stream.fd, text);
        broken = null;
        s.failing = null;
        stream.write = function direct(c, e, callback) {
          const d = typeof e === "function" ? e : callback;
          try {
            fs.writeSync(stream.fd, typeof c === "string" ? c : Buffer.from(c));
          } catch (err) {
            stream.write = write;
            fail(err);
            count();
          }
          if (d) process.nextTick(d);
          return true;
        };
        if (done) process.nextTick(done);
        return true;
      } catch (err) {
        fail(err);
      }
    }
    count();
    // The writer is told nothing went wrong: the console's own log is best effort, the console's work is not.
    if (done) process.nextTick(done);
    return true;
  };
}

/** Installs the guard on process.stdout and process.stderr (once). */
export function guardConsoleOutput() {
  guard("stdout", process.stdout);
  guard("stderr", process.stderr);
}
