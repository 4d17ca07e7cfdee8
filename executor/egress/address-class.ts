/**
 * What kind of destination an IP address is. Everything but `public` is refused for `fetch` unless
 * the tenant listed that exact `host:port`: loopback and private addresses reach the executor's own
 * network, link-local reaches cloud metadata (169.254.169.254), and an unspecified address (0.0.0.0,
 * `::`) connects to the local host on Linux. IPv6 forms that embed an IPv4 address (mapped, NAT64,
 * 6to4) are judged by that address, so `::ffff:127.0.0.1` is loopback too. Pure; no I/O.
 */

export const AddressClass = {
  public: "public",
  loopback: "loopback",
  private: "private",
  linkLocal: "link-local",
  unspecified: "unspecified",
  /** 100.64.0.0/10, carrier-grade NAT: private to the provider's network. */
  shared: "shared",
  multicast: "multicast",
  /** Documentation, benchmarking, broadcast and other ranges that are not a public destination. */
  reserved: "reserved",
} as const;
export type AddressClass = (typeof AddressClass)[keyof typeof AddressClass];

/** How refusals describe each class. */
export const ADDRESS_CLASS_TEXT: Readonly<Record<AddressClass, string>> = {
  public: "a public address",
  loopback: "a loopback address",
  private: "a private address",
  "link-local": "a link-local address (cloud metadata lives there)",
  unspecified: "an unspecified address",
  shared: "a shared (carrier-grade NAT) address",
  multicast: "a multicast address",
  reserved: "a reserved address",
};

/** Four bytes of a dotted-quad IPv4 address, or undefined. */
export function parseIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((part) => (/^(0|[1-9][0-9]{0,2})$/.test(part) ? Number(part) : NaN));
  return bytes.every((byte) => byte <= 255) ? bytes : undefined;
}

/** Sixteen bytes of an IPv6 address (`::`, an IPv4 tail and a `%zone` allowed), or undefined. */
export function parseIPv6(text: string): number[] | undefined {
  const address = text.replace(/%.*$/, "");
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const pieces = half.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIPv4(piece);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(parseInt(piece, 16));
      } else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}

function classifyIPv4([a, b, c]: number[]): AddressClass {
  if (a === 0) return "unspecified"; // 0.0.0.0/8: "this network", reaches the local host
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 169 && b === 254) return "link-local";
  if (a === 100 && b! >= 64 && b! <= 127) return "shared";
  if (a! >= 224 && a! <= 239) return "multicast";
  if (a! >= 240) return "reserved"; // 240/4 and the broadcast address
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return "reserved"; // IETF protocol assignments, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return "reserved"; // benchmarking
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return "reserved"; // TEST-NET-2, -3
  return "public";
}

function classifyIPv6(bytes: number[]): AddressClass {
  const word = (i: number) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!;
  const zeroUntil = (n: number) => bytes.slice(0, n).every((byte) => byte === 0);
  const v4 = (offset: number) => classifyIPv4(bytes.slice(offset, offset + 4));
  if (zeroUntil(16)) return "unspecified";
  if (zeroUntil(15) && bytes[15] === 1) return "loopback";
  if (zeroUntil(10) && word(5) === 0xffff) return v4(12); // ::ffff:a.b.c.d, IPv4-mapped
  if (zeroUntil(12)) return "reserved"; // ::a.b.c.d, the deprecated IPv4-compatible form
  if (word(0) === 0x64 && word(1) === 0xff9b && bytes.slice(4, 12).every((byte) => byte === 0)) return v4(12); // NAT64
  if (word(0) === 0x2002) return v4(2); // 6to4
  const first = bytes[0]!;
  if ((first & 0xfe) === 0xfc) return "private"; // fc00::/7, unique local
  if (first === 0xfe && (bytes[1]! & 0xc0) === 0x80) return "link-local"; // fe80::/10
  if (first === 0xfe && (bytes[1]! & 0xc0) === 0xc0) return "private"; // fec0::/10, the old site-local
  if (first === 0xff) return "multicast";
  if (word(0) === 0x2001 && word(1) === 0x0db8) return "reserved"; // documentation
  return "public";
}

/**
 * The class of `address` (IPv4 dotted quad, or IPv6 with or without brackets), or `undefined` when
 * it is not an IP address (a host name).
 */
export function classifyAddress(address: string): AddressClass | undefined {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const v4 = parseIPv4(bare);
  if (v4) return classifyIPv4(v4);
  const v6 = bare.includes(":") ? parseIPv6(bare) : undefined;
  return v6 ? classifyIPv6(v6) : undefined;
}
