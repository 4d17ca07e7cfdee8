/** JetStream configuration takes durations in nanoseconds. */
export const nanos = (ms: number): number => ms * 1_000_000;
