/** Shapes shared by the compile pipeline's files. */

/**
 * A tenant's workflow source: file paths (relative, `/`-separated, e.g. `index.ts`, `lib/util.ts`) to
 * their text, and which of them is the entry module.
 */
export interface WorkflowSource {
  files: Record<string, string>;
  entry: string;
}

/**
 * What a deploy produced: the artifact to store, human-readable warnings for the tenant, and the
 * capabilities (interfaces of the world, e.g. `http`) the component imports.
 */
export interface CompileOutput<A> {
  artifact: A;
  warnings: string[];
  capabilities: string[];
}
