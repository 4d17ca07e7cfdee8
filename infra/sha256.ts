/** SHA-256 as lowercase hex, with Web Crypto (Node and Deno alike). */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  // Web Crypto wants an ArrayBuffer-backed view; a SharedArrayBuffer one would be rejected at runtime.
  const bytes = (typeof data === "string" ? new TextEncoder().encode(data) : data) as Uint8Array<ArrayBuffer>;
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
