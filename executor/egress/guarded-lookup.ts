/**
 * The DNS step of an outbound connection, with the egress check inside it: every address a name
 * resolves to is checked when the socket connects, not earlier, so a name that resolved to a public
 * address a moment ago cannot rebind to 127.0.0.1 in between. Handed to `node:http`/`node:https` as
 * their `lookup` option (measured: honoured by Node 20 and Deno 2, for http and https, as long as
 * each request opens its own connection — `agent: false` — so no pooled socket skips the lookup).
 */
import { promises as dns } from "node:dns";
import type { LookupFunction } from "node:net";

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address, as the system resolver does. Injectable for tests. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** A resolved address the egress policy refused; `reason` says why. */
export class EgressRefusedError extends Error {
  override name = "EgressRefusedError";
  readonly code = "EGRESS_REFUSED";
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * A `lookup` that resolves with `resolve` and fails with `EgressRefusedError` if `refusal` objects to
 * any of the addresses (all of them, not just the first: the connection may try each in turn).
 */
export function guardedLookup(resolve: Resolver, refusal: (address: string) => string | undefined): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (resolved) => {
        const family = typeof options.family === "number" ? options.family : options.family === "IPv6" ? 6 : options.family === "IPv4" ? 4 : 0;
        const addresses = family === 0 ? resolved : resolved.filter((entry) => entry.family === family);
        for (const { address } of addresses) {
          const reason = refusal(address);
          if (reason !== undefined) return callback(new EgressRefusedError(reason), "", 0);
        }
        const first = addresses[0];
        if (first === undefined) {
          const error = Object.assign(new Error(`no address for '${hostname}'`), { code: "ENOTFOUND" });
          return callback(error, "", 0);
        }
        if (options.all) return (callback as unknown as (error: null, addresses: ResolvedAddress[]) => void)(null, addresses);
        return callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };
}
