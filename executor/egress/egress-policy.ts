/**
 * The egress decision for one request hop, as pure functions: is this URL allowed for the tenant, and
 * may a connection go to this resolved address? The caller does the I/O (see outbound-fetch.ts) and
 * asks again for every redirect hop and every address a name resolves to, so DNS rebinding cannot
 * slip a private address past a check made earlier.
 */
import { ADDRESS_CLASS_TEXT, classifyAddress } from "./address-class.ts";
import { DEFAULT_PORTS, matchAllowList, type AllowEntry, type Destination } from "./allow-list.ts";

/** Allowed, with whether an exact `host:port` entry allows non-public addresses; or refused, with why. */
export type EgressVerdict = { allowed: true; destination: Destination; exact: boolean } | { allowed: false; reason: string };

/** The host as refusals name it: `api.example.com`, or `127.0.0.1:8080` when the port is not the default. */
export function hostLabel(url: URL): string {
  return url.host;
}

export function refusalMessage(url: URL, reason: string): string {
  return `fetch to '${hostLabel(url)}' refused: ${reason}`;
}

function destinationOf(url: URL): Destination {
  return { hostname: url.hostname, port: url.port === "" ? DEFAULT_PORTS[url.protocol]! : Number(url.port), protocol: url.protocol };
}

/** May a request go to `url` at all? Checks the scheme, the allow-list and an IP literal's class. */
export function checkUrl(url: URL, allow: readonly AllowEntry[]): EgressVerdict {
  if (!(url.protocol in DEFAULT_PORTS)) return { allowed: false, reason: `only http: and https: URLs may be fetched, not '${url.protocol}'` };
  const destination = destinationOf(url);
  const match = matchAllowList(allow, destination);
  if (!match.listed) return { allowed: false, reason: "not on this tenant's egress allow-list" };
  const reason = addressRefusal(url.hostname, match.exact, destination);
  if (reason !== undefined) return { allowed: false, reason };
  return { allowed: true, destination, exact: match.exact };
}

/**
 * Why a connection to `address` is refused, or `undefined` when it may go ahead: a non-public address
 * only when an exact `host:port` entry allowed the destination.
 */
export function addressRefusal(address: string, exact: boolean, destination: Destination): string | undefined {
  const kind = classifyAddress(address);
  if (kind === undefined || kind === "public" || exact) return undefined;
  const bare = address.replace(/^\[|\]$/g, "");
  const entry = `${destination.hostname}:${destination.port}`;
  const what =
    bare === destination.hostname.replace(/^\[|\]$/g, "") ? `'${bare}' is ${ADDRESS_CLASS_TEXT[kind]}` : `it resolves to ${bare}, ${ADDRESS_CLASS_TEXT[kind]}`;
  return `${what}; only an exact '${entry}' entry on the egress allow-list allows that`;
}
