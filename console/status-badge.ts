/** An instance status as a coloured badge; `data-status` lets tests and styles read it. */
import type { InstanceStatus } from "../client/mod.ts";
import { h } from "./dom.ts";

export const statusBadge = (status: InstanceStatus): HTMLElement => h("span", { class: `status status-${status}`, "data-status": status }, status);
