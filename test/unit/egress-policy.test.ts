/** The egress policy as pure functions: address classes, allow-list matching and the URL check. */
import { describe, expect, it } from "vitest";
import { classifyAddress } from "../../executor/egress/address-class.ts";
import { matchAllowList, parseAllowList } from "../../executor/egress/allow-list.ts";
import { addressRefusal, checkUrl } from "../../executor/egress/egress-policy.ts";

describe("address classification", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["169.254.169.254", "link-local"],
    ["169.254.0.1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:10.0.0.1", "private"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["2002:7f00:1::", "loopback"],
    ["100.64.0.1", "shared"],
    ["100.127.255.255", "shared"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::127.0.0.1", "reserved"],
    ["8.8.8.8", "public"],
    ["172.32.0.1", "public"],
    ["100.128.0.1", "public"],
    ["2606:4700::1111", "public"],
  ])("%s is %s", (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each(["example.com", "1.2.3", "1.2.3.256", "01.2.3.4", ":::1", "1::2::3", "12345::1", ""])("'%s' is not an IP address", (text) => {
    expect(classifyAddress(text)).toBeUndefined();
  });
});

describe("allow-list matching", () => {
  const list = parseAllowList(["api.stripe.com", "*.example.com", "127.0.0.1:8080", "[::1]:9000", "LOCALHOST", "Upper.Example.org:8443"]);
  const to = (url: string) => {
    const parsed = new URL(url);
    return { hostname: parsed.hostname, port: parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port), protocol: parsed.protocol };
  };

  it("matches an exact host on the scheme's default port only", () => {
    expect(matchAllowList(list, to("https://api.stripe.com/v1"))).toEqual({ listed: true, exact: false });
    expect(matchAllowList(list, to("http://api.stripe.com/"))).toEqual({ listed: true, exact: false });
    expect(matchAllowList(list, to("https://api.stripe.com:8443/"))).toEqual({ listed: false });
    expect(matchAllowList(list, to("https://evil-api.stripe.com/"))).toEqual({ listed: false });
    expect(matchAllowList(list, to("https://api.stripe.com.evil.net/"))).toEqual({ listed: false });
  });

  it("matches a wildcard below its suffix, not the suffix itself", () => {
    expect(matchAllowList(list, to("https://a.example.com/"))).toEqual({ listed: true, exact: false });
    expect(matchAllowList(list, to("https://a.b.example.com/"))).toEqual({ listed: true, exact: false });
    expect(matchAllowList(list, to("https://example.com/"))).toEqual({ listed: false });
    expect(matchAllowList(list, to("https://badexample.com/"))).toEqual({ listed: false });
  });

  it("calls only a host with its port an exact entry, and compares hosts as URLs normalize them", () => {
    expect(matchAllowList(list, to("http://127.0.0.1:8080/"))).toEqual({ listed: true, exact: true });
    expect(matchAllowList(list, to("http://127.0.0.1/"))).toEqual({ listed: false });
    expect(matchAllowList(list, to("http://[0:0:0:0:0:0:0:1]:9000/"))).toEqual({ listed: true, exact: true });
    expect(matchAllowList(list, to("http://localhost/"))).toEqual({ listed: true, exact: false });
    expect(matchAllowList(list, to("https://upper.example.org:8443/"))).toEqual({ listed: true, exact: true });
  });

  it("allows nothing by default", () => {
    expect(matchAllowList(parseAllowList([]), to("https://api.stripe.com/"))).toEqual({ listed: false });
  });
});

describe("the URL check", () => {
  const list = parseAllowList(["api.stripe.com", "127.0.0.1:8080", "127.0.0.1", "169.254.169.254", "*.internal:8080"]);
  const reason = (url: string) => {
    const verdict = checkUrl(new URL(url), list);
    return verdict.allowed ? "allowed" : verdict.reason;
  };

  it("allows a listed public host over http and https only", () => {
    expect(reason("https://api.stripe.com/v1/charges")).toBe("allowed");
    expect(reason("ftp://api.stripe.com/")).toMatch(/only http: and https:/);
    expect(reason("file:///etc/passwd")).toMatch(/only http: and https:/);
  });

  it("refuses an unlisted host", () => {
    expect(reason("https://api.cloudflare.com/")).toBe("not on this tenant's egress allow-list");
  });

  it("allows a non-public address only through an exact host:port entry", () => {
    expect(reason("http://127.0.0.1:8080/")).toBe("allowed");
    expect(reason("http://127.0.0.1/")).toMatch(/'127\.0\.0\.1' is a loopback address; only an exact '127\.0\.0\.1:80' entry/);
    expect(reason("http://169.254.169.254/latest/meta-data/")).toMatch(/link-local address/);
    // The URL parser canonicalizes other spellings of an address before the check.
    expect(reason("http://2130706433:8080/")).toBe("allowed");
    expect(reason("http://0x7f.1/")).toMatch(/loopback/);
  });

  it("checks every resolved address against the same rule", () => {
    const destination = { hostname: "db.internal", port: 8080, protocol: "http:" };
    expect(addressRefusal("10.0.0.5", false, destination)).toBe(
      "it resolves to 10.0.0.5, a private address; only an exact 'db.internal:8080' entry on the egress allow-list allows that",
    );
    expect(addressRefusal("10.0.0.5", true, destination)).toBeUndefined();
    expect(addressRefusal("93.184.216.34", false, destination)).toBeUndefined();
  });
});
