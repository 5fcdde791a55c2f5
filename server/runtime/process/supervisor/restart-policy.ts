import "server-only";

export type RestartOptions = {
  /** First delay after a crash (default 1000 ms); doubles with every further crash. */
  initialDelayMs?: number;
  /** Ceiling of the delay (default 30000 ms); also the delay while crash-looping. */
  maxDelayMs?: number;
  /** This many crashes within `crashLoopWindowMs` make a crash loop (default 3). */
  crashLoopCount?: number;
  crashLoopWindowMs?: number;
  /** A run at least this long resets the delay to `initialDelayMs` (default 30000 ms). */
  stableAfterMs?: number;
};

export type RestartDecision = { delayMs: number; crashLoop: boolean; crashesInWindow: number; windowMs: number };

/** Exponential backoff with crash-loop detection; pure bookkeeping, the supervisor owns the timers. */
export class RestartPolicy {
  private readonly initial: number;
  private readonly max: number;
  private readonly loopCount: number;
  private readonly window: number;
  private readonly stableAfter: number;
  private nextDelay: number;
  private crashes: number[] = [];

  constructor(opts: RestartOptions = {}) {
    this.initial = Math.max(0, opts.initialDelayMs ?? 1_000);
    this.max = Math.max(this.initial, opts.maxDelayMs ?? 30_000);
    this.loopCount = Math.max(1, opts.crashLoopCount ?? 3);
    this.window = opts.crashLoopWindowMs ?? 60_000;
    this.stableAfter = opts.stableAfterMs ?? 30_000;
    this.nextDelay = this.initial;
  }

  /** Records an unexpected exit after a run of `ranMs` and says when to start again. */
  onCrash(ranMs: number, now = Date.now()): RestartDecision {
    if (ranMs >= this.stableAfter) this.nextDelay = this.initial;
    this.crashes = this.crashes.filter((at) => now - at < this.window);
    this.crashes.push(now);
    const crashLoop = this.crashes.length >= this.loopCount;
    const delayMs = crashLoop ? this.max : this.nextDelay;
    this.nextDelay = Math.min(Math.max(1, this.nextDelay * 2), this.max);
    return { delayMs, crashLoop, crashesInWindow: this.crashes.length, windowMs: this.window };
  }
}
