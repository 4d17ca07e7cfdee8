/** Types for nats-server-install.mjs (kept as plain JS so it runs before npm packages exist). */

/** Where Debian's `nats-server` package puts the binary. */
export declare const DEBIAN_NATS_SERVER: string;

/** `KILN_NATS_SERVER`, else `nats-server` on PATH, else /usr/sbin/nats-server; `undefined` if none is executable. */
export declare function findNatsServer(env?: Record<string, string | undefined>): string | undefined;

/** One line telling a person how to get a nats-server. */
export declare function natsServerInstallHint(env?: Record<string, string | undefined>): string;

export type EnsureNatsServerResult =
  | { readonly ok: true; readonly path: string; readonly installed: boolean }
  | { readonly ok: false; readonly message: string };

/** Finds nats-server, installing Debian's package when missing and running as root. Never throws. */
export declare function ensureNatsServer(options?: {
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}): EnsureNatsServerResult;
