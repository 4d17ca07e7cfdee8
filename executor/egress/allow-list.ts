/**
 * The tenant's `egress.allow` entries and how a destination matches them: an exact host
 * (`api.stripe.com`, `127.0.0.1`, `[::1]`) or `*.suffix` (any name below the suffix, not the suffix
 * itself), with an optional `:port`. An entry without a port allows only the scheme's default port
 * (80 for `http:`, 443 for `https:`). Hosts compare as the URL parser normalizes them (lower case,
 * punycode, canonical IP forms). Pure; no I/O.
 */

export interface AllowEntry {
  /** The entry as the tenant wrote it. */
  readonly text: string;
  /** The host as `URL.hostname` spells it (IPv6 in brackets); for a wildcard, the suffix after `*.`. */
  readonly host: string;
  readonly wildcard: boolean;
  readonly port: number | undefined;
}

export const DEFAULT_PORTS: Readonly<Record<string, number>> = { "http:": 80, "https:": 443 };

/** One entry, or `undefined` for one the URL parser cannot read (the settings schema refuses those first). */
export function parseAllowEntry(text: string): AllowEntry | undefined {
  const wildcard = text.startsWith("*.");
  const rest = wildcard ? text.slice(2) : text;
  const portMatch = /:(\d{1,5})$/.exec(rest);
  const hostText = portMatch && !rest.endsWith("]") ? rest.slice(0, -portMatch[0].length) : rest;
  const port = portMatch && !rest.endsWith("]") ? Number(portMatch[1]) : undefined;
  if (port !== undefined && (port < 1 || port > 65_535)) return undefined;
  let host: string;
  try {
    host = new URL(`http://${hostText}/`).hostname;
  } catch {
    return undefined;
  }
  if (host === "") return undefined;
  return { text, host, wildcard, port };
}

export function parseAllowList(entries: readonly string[]): AllowEntry[] {
  return entries.map(parseAllowEntry).filter((entry): entry is AllowEntry => entry !== undefined);
}

/** A destination as the allow-list sees it: the parsed URL's host, port and scheme. */
export interface Destination {
  /** `URL.hostname`: lower case, IPv6 in brackets. */
  hostname: string;
  port: number;
  protocol: string;
}

function entryMatches(entry: AllowEntry, to: Destination): boolean {
  const portOk = entry.port === undefined ? to.port === DEFAULT_PORTS[to.protocol] : entry.port === to.port;
  if (!portOk) return false;
  return entry.wildcard ? to.hostname.endsWith(`.${entry.host}`) : to.hostname === entry.host;
}

/** Whether `entry` names exactly this host and port: the only kind that may allow a non-public address. */
export function isExactEntry(entry: AllowEntry, to: Destination): boolean {
  return !entry.wildcard && entry.port === to.port && entry.host === to.hostname;
}

/** How a destination matches the list: not at all, or by some entry, and whether one entry is exact. */
export type AllowMatch = { listed: false } | { listed: true; exact: boolean };

export function matchAllowList(entries: readonly AllowEntry[], to: Destination): AllowMatch {
  const matching = entries.filter((entry) => entryMatches(entry, to));
  if (matching.length === 0) return { listed: false };
  return { listed: true, exact: matching.some((entry) => isExactEntry(entry, to)) };
}
