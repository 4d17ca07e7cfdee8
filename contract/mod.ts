export * from "./names.ts";
export * from "./duration.ts";
export * from "./envelope.ts";
export * from "./instance.ts";
export * from "./journal.ts";
export * from "./protocol.ts";
export * from "./errors.ts";
export * from "./lifecycle.ts";
