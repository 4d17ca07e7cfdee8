/** Outbound HTTP for tenant code (`kiln:workflow/http`): the egress policy and the host that enforces it. */
export { createHttpHost, DEFAULT_FETCH_TIMEOUT_MS, type FetchOutcome, type HttpHostDeps } from "./http-host.ts";
export { fetchOutbound, MAX_REDIRECTS, MAX_REQUEST_BODY_BYTES, type OutboundOptions, type OutboundRequest, type OutboundResult } from "./outbound-fetch.ts";
export { checkUrl, addressRefusal, refusalMessage, type EgressVerdict } from "./egress-policy.ts";
export { parseAllowList, matchAllowList, type AllowEntry } from "./allow-list.ts";
export { classifyAddress, AddressClass } from "./address-class.ts";
export { systemResolver, type Resolver } from "./guarded-lookup.ts";
export type { HttpAnswer, HttpError } from "./http-wire.ts";
