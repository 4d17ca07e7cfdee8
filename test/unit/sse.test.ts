import { expect, it } from "vitest";
import { readServerSentEvents, type ServerSentEvent } from "../../client/sse.ts";

/** A body delivered in the given chunks, as a network would split it. */
function body(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function all(stream: ReadableStream<Uint8Array>): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(stream)) events.push(event);
  return events;
}

it("reads events split anywhere across chunks, with multi-line data, ids and comments", async () => {
  const events = await all(body("event: status\nda", 'ta: {"a":1}\n\n: keep-alive\n\nid: 7\ndata: line 1\r\ndata: line 2\r\n\r\n', "data: tail\n\n"));
  expect(events).toEqual([
    { event: "status", data: '{"a":1}' },
    { event: "message", data: "line 1\nline 2", id: "7" },
    { event: "message", data: "tail" },
  ]);
});

it("drops an event cut off by the end of the stream", async () => {
  expect(await all(body("data: whole\n\ndata: cut"))).toEqual([{ event: "message", data: "whole" }]);
});

it("keeps a CRLF line break whole when a chunk ends between its two characters", async () => {
  expect(await all(body("data: a\r", "\n\r", "\ndata: b\n\n"))).toEqual([
    { event: "message", data: "a" },
    { event: "message", data: "b" },
  ]);
});
