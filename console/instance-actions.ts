/**
 * The lifecycle buttons of an instance page (pause, resume, terminate, restart) and the form that
 * sends it an event. Each calls the typed client, then asks the page to read the instance again.
 */
import type { InstanceHandle, InstanceView } from "../client/mod.ts";
import { FINAL_STATUSES } from "../contract/instance.ts";
import { h } from "./dom.ts";
import { describeError } from "./page.ts";

type Action = "pause" | "resume" | "terminate" | "restart";

/** Which actions make sense in a status; the gateway decides in the end and says why when it refuses. */
function enabled(action: Action, status: InstanceView["status"]): boolean {
  const final = FINAL_STATUSES.has(status);
  switch (action) {
    case "pause":
      return !final && status !== "paused";
    case "resume":
      return status === "paused";
    case "terminate":
      return !final;
    case "restart":
      return true;
  }
}

/** Ends or rewinds the instance: the reader confirms first. */
const CONFIRM: Partial<Record<Action, string>> = {
  terminate: "Terminate this instance? It stops for good.",
  restart: "Restart this instance from the beginning? Its steps run again.",
};

export interface ActionsOptions {
  instance: InstanceHandle;
  /** Called after an action or event went through (to read the instance again). */
  changed: () => void;
}

export interface InstanceActions {
  readonly element: HTMLElement;
  /** Enables the buttons that make sense in `status`; what the reader typed stays. */
  update(status: InstanceView["status"]): void;
}

export function instanceActions({ instance, changed }: ActionsOptions): InstanceActions {
  const message = h("p", { class: "action-message", role: "status" });
  const report = (text: string, failed = false) => {
    message.textContent = text;
    message.className = failed ? "action-message error" : "action-message";
  };

  const buttons = (["pause", "resume", "terminate", "restart"] as const).map((action) => {
    const button = h(
      "button",
      { type: "button", class: action === "terminate" ? "danger" : "", "data-action": action, disabled: true },
      action[0]!.toUpperCase() + action.slice(1),
    );
    button.addEventListener("click", () => {
      const question = CONFIRM[action];
      if (question !== undefined && !confirm(question)) return;
      button.disabled = true;
      void instance[action]().then(
        (answer) => {
          report(`${action}: ${answer.status}${answer.pending ? ` (${answer.pending} pending)` : ""}`);
          changed();
        },
        (error: unknown) => {
          report(`${action} failed: ${describeError(error)}`, true);
          changed();
        },
      );
    });
    return { action, button };
  });

  const type = h("input", { name: "type", placeholder: "event type", required: true, "aria-label": "Event type" });
  const payload = h("textarea", { name: "payload", rows: 2, placeholder: '{"approved": true}', "aria-label": "Event payload (JSON)" });
  const send = h("button", { type: "submit", disabled: true }, "Send event");
  const form = h("form", { class: "send-event", "data-testid": "send-event" }, type, payload, send);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    let body: unknown = null;
    if (payload.value.trim() !== "") {
      try {
        body = JSON.parse(payload.value) as unknown;
      } catch (error) {
        report(`The payload is not JSON: ${describeError(error)}`, true);
        return;
      }
    }
    send.disabled = true;
    const eventType = type.value.trim();
    void instance.sendEvent(eventType, body).then(
      () => {
        report(`event '${eventType}' sent`);
        changed();
      },
      (error: unknown) => {
        report(`sending the event failed: ${describeError(error)}`, true);
        changed();
      },
    );
  });

  return {
    element: h("section", { class: "actions" }, h("div", { class: "buttons" }, ...buttons.map(({ button }) => button)), form, message),
    update(status) {
      for (const { action, button } of buttons) button.disabled = !enabled(action, status);
      send.disabled = FINAL_STATUSES.has(status);
    },
  };
}
