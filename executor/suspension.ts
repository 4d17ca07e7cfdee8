import type { ControlRequest } from "../contract/mod.ts";

/** Why an activation stops without finishing. */
export type Suspension =
  | { kind: "sleep" | "retry" | "event"; step: string; until: number; eventType?: string }
  | { kind: "control"; control: ControlRequest }
  /** Another activation owns the instance now (lost lease, or it committed this step first). */
  | { kind: "superseded"; reason: string };
