/**
 * An instance's log lines, live: the stored lines, then new ones as the executor publishes them
 * (`GET …/logs?follow=1`, server-sent events read by the typed client). Follows until the reader
 * leaves the page; a dropped stream is opened again from the start.
 */
import { isKilnApiError, type InstanceHandle, type LogLine } from "../client/mod.ts";
import { h } from "./dom.ts";
import { describeError, pause } from "./page.ts";

/** Lines kept on the page; older ones scroll away. */
const MAX_LINES = 2_000;
const RECONNECT_DELAY_MS = 2_000;

function lineElement(line: LogLine): HTMLElement {
  const time = new Date(line.ts).toLocaleTimeString(undefined, { hour12: false });
  return h(
    "div",
    { class: `log-line log-${line.level} log-source-${line.source}` },
    h("span", { class: "log-time" }, time),
    h("span", { class: "log-level" }, line.level),
    h("span", { class: "log-message" }, line.message),
  );
}

export function logPanel(instance: InstanceHandle, signal: AbortSignal): HTMLElement {
  const lines = h("div", { class: "log-lines", "data-testid": "logs", role: "log", "aria-live": "polite" });
  const state = h("p", { class: "muted log-state" }, "Connecting…");
  const panel = h("div", { class: "log-panel" }, state, lines);

  const append = (line: LogLine) => {
    // Keep the view at the bottom only if the reader has not scrolled up to read.
    const atBottom = lines.scrollHeight - lines.scrollTop - lines.clientHeight < 24;
    lines.append(lineElement(line));
    while (lines.childElementCount > MAX_LINES) lines.firstElementChild?.remove();
    if (atBottom) lines.scrollTop = lines.scrollHeight;
  };

  void (async () => {
    while (!signal.aborted) {
      try {
        lines.replaceChildren();
        state.textContent = "Following (live)";
        for await (const line of instance.logs({ follow: true, signal })) append(line);
      } catch (error) {
        if (signal.aborted) return;
        // A refusal (no such instance, a token without `read`) will not change by asking again.
        if (isKilnApiError(error) && error.status < 500 && error.retryAfterMs === undefined) {
          state.textContent = `No logs: ${describeError(error)}`;
          return;
        }
        state.textContent = `Log stream closed: ${describeError(error)}; reconnecting…`;
      }
      await pause(RECONNECT_DELAY_MS, signal);
    }
  })();
  return panel;
}
