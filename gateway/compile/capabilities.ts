/**
 * The capabilities of the world: each is an interface of `kiln:workflow` (wit/workflow.wit), so what a
 * component imports says what it can do. A deploy answers with the capabilities its version imports.
 */
import { WIT_VERSION } from "./toolchain.ts";

/** Every capability the world grants, in the order the world lists them. */
export const CAPABILITIES = ["logging", "engine", "http"] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** The import name of a capability as a component spells it, e.g. `kiln:workflow/http@0.2.0`. */
export function capabilityImport(capability: Capability): string {
  return `kiln:workflow/${capability}@${WIT_VERSION}`;
}

/** What the world grants; anything else imported is refused. */
export const ALLOWED_IMPORTS: ReadonlySet<string> = new Set(CAPABILITIES.map(capabilityImport));

const CAPABILITY_IMPORT = /^kiln:workflow\/([a-z-]+)(?:@([0-9.]+))?$/;

/**
 * The capabilities among `imports` (`kiln:workflow/http@0.2.0`, or `kiln:workflow/http` as jco lists
 * them), in the world's order; anything else is ignored here (the import check refuses it).
 */
export function capabilitiesOf(imports: readonly string[]): Capability[] {
  const found = new Set<string>();
  for (const name of imports) {
    const match = CAPABILITY_IMPORT.exec(name);
    if (match && (match[2] === undefined || match[2] === WIT_VERSION)) found.add(match[1]!);
  }
  return CAPABILITIES.filter((capability) => found.has(capability));
}
