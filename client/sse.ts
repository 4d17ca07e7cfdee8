/**
 * Server-sent events from a `fetch` response body: web-standard streams only, so it runs on Node,
 * Deno and in browsers. Follows the parts of the SSE format the gateway sends (`event:`, `data:`,
 * `id:`, comments, blank-line separated), with multi-line data joined by newlines as the spec says.
 */
export interface ServerSentEvent {
  event: string;
  data: string;
  id?: string;
}

/** Yields each event of `body` until the stream ends (or the request is aborted). */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  // A chunk may end between the `\r` and `\n` of one line break: that `\r` waits for the next chunk.
  let heldCr = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const text = heldCr + decoder.decode(value, { stream: true });
      heldCr = text.endsWith("\r") ? "\r" : "";
      buffer += (heldCr ? text.slice(0, -1) : text).replace(/\r\n?/g, "\n");
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event) yield event;
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}

function parseBlock(block: string): ServerSentEvent | undefined {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
  }
  if (data.length === 0) return undefined;
  return { event, data: data.join("\n"), ...(id === undefined ? {} : { id }) };
}
