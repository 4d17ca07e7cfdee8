/** Routes tenant `console.*` to the host's log import (the instance's log subject). */
import { hostLog, type LogLevel } from "./host.ts";

function format(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.stack ? `${value.name}: ${value.message}\n${value.stack}` : String(value);
  if (typeof value === "bigint" || typeof value === "symbol" || typeof value === "function") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export interface ConsoleGate {
  /** Replayed code between steps already logged on an earlier activation: stay quiet. */
  readonly replaying: boolean;
}

let gate: ConsoleGate | undefined;

export function useConsoleGate(activationGate: ConsoleGate): void {
  gate = activationGate;
}

function emit(level: LogLevel, args: unknown[]): void {
  if (gate?.replaying) return;
  hostLog(level, args.map(format).join(" "));
}

export function installConsole(): void {
  const routed = {
    debug: (...args: unknown[]) => emit("debug", args),
    log: (...args: unknown[]) => emit("info", args),
    info: (...args: unknown[]) => emit("info", args),
    warn: (...args: unknown[]) => emit("warn", args),
    error: (...args: unknown[]) => emit("error", args),
    trace: (...args: unknown[]) => emit("debug", args),
  };
  Object.assign(globalThis.console, routed);
}
