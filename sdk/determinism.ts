/**
 * Replay-stable time and randomness. Outside step bodies, `Date.now()`, `new Date()` and `Math.random()`
 * must return the same values on every replay, so they derive from the journal (time) and from a
 * per-instance seed (randomness). Inside a step body they are real, asked from the host.
 */

export interface TimeSource {
  /** True while a step body runs: time and randomness are real there. */
  readonly insideStepBody: boolean;
  /** The replay-stable clock: the completion time of the latest step reached so far. */
  stableNow(): number;
  realNow(): number;
  realRandom(): number;
}

const RealDate = Date;
let source: TimeSource | undefined;
let nextStableRandom: () => number = Math.random;

function now(): number {
  if (source === undefined) return RealDate.now();
  return source.insideStepBody ? source.realNow() : source.stableNow();
}

/** FNV-1a over the seed, then a small-state generator (sfc32): fast and good enough for tenants. */
function seededRandom(seed: string): () => number {
  let h = 2166136261;
  const state = [0, 0, 0, 0];
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
    h = Math.imul(h ^ round, 16777619);
    state[round] = h >>> 0;
  }
  let [a, b, c, d] = state as [number, number, number, number];
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

function KilnDate(this: unknown, ...args: unknown[]): Date | string {
  if (new.target === undefined) return new RealDate(now()).toString();
  if (args.length === 0) return new RealDate(now());
  return new (RealDate as unknown as new (...a: unknown[]) => Date)(...args);
}
KilnDate.prototype = RealDate.prototype;
KilnDate.now = now;
KilnDate.parse = RealDate.parse;
KilnDate.UTC = RealDate.UTC;

let installed = false;

/** Points the global clock and `Math.random` at this activation; called once per activation. */
export function useTimeSource(activationSource: TimeSource, seed: string): void {
  source = activationSource;
  nextStableRandom = seededRandom(seed);
  if (installed) return;
  installed = true;
  globalThis.Date = KilnDate as unknown as DateConstructor;
  Math.random = () => {
    if (source === undefined) return nextStableRandom();
    return source.insideStepBody ? source.realRandom() : nextStableRandom();
  };
}

export { RealDate };
