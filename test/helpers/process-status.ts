/**
 * What Linux says about a process in `/proc/<pid>/status`: its resident memory and its thread count,
 * for tests that check an executor gives back what its sandboxes took (in-process or a child).
 */
import { readFile } from "node:fs/promises";

export interface ProcessStatus {
  /** `VmRSS`, in bytes. */
  rssBytes: number;
  /** `Threads`: the main thread, V8's and libuv's helpers, and one per sandbox worker. */
  threads: number;
}

export async function processStatus(pid: number): Promise<ProcessStatus> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name} line: is this Linux?`);
    return Number(match[1]);
  };
  return { rssBytes: field("VmRSS") * 1024, threads: field("Threads") };
}
