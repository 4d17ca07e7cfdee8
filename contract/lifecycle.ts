/**
 * Lifecycle events on `kiln.events.<tenant>.<workflow>.<instance>.<kind>`: what operators (and the
 * benchmark) see of an instance's life, one JSON object per transition.
 */

/** How one activation went, carried by the event that ends it. */
export interface ActivationStats {
  /** Wall time of the activation, in milliseconds: loading artifact and journal, then running the
   *  component until it finished or suspended (claiming the instance and recording the outcome excluded). */
  ms: number;
  /** Part of `ms` spent fetching the artifact (cached after the first time) and the journal. */
  loadMs: number;
  /** Recorded steps the activation replayed instead of running. */
  replayed: number;
  /** Steps the activation committed to the journal. */
  committed: number;
  /** Whether the activation instantiated the component rather than reusing a warm instance. */
  freshInstance: boolean;
  /** The executor that ran it. */
  executor: string;
}

export interface LifecycleEvent {
  ts: number;
  kind: string;
  instance: string;
  workflow: string;
  status?: string;
  reason?: string;
  /** On `running`: the executor that took the activation. */
  executor?: string;
  activation?: ActivationStats;
}
