import { describe, expect, it } from "vitest";
import { createCompileQueue } from "../../gateway/compile/compile-queue.ts";

/** A task that finishes only when told to, so tests control ordering without timers. */
function gate<T>(value: T) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let started = false;
  return {
    task: async () => {
      started = true;
      await opened;
      return value;
    },
    open,
    get started() {
      return started;
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("createCompileQueue", () => {
  it("runs at most `concurrency` tasks at once and starts the next when one finishes", async () => {
    const queue = createCompileQueue({ concurrency: 2 });
    const [a, b, c] = [gate("a"), gate("b"), gate("c")];
    const results = [queue.run("a", a.task), queue.run("b", b.task), queue.run("c", c.task)];
    await tick();
    expect([a.started, b.started, c.started]).toEqual([true, true, false]);
    expect([queue.active, queue.waiting]).toEqual([2, 1]);
    a.open();
    await tick();
    expect(c.started).toBe(true);
    b.open();
    c.open();
    expect(await Promise.all(results)).toEqual(["a", "b", "c"]);
    expect([queue.active, queue.waiting]).toEqual([0, 0]);
  });

  it("gives concurrent calls with the same key one shared run", async () => {
    const queue = createCompileQueue({ concurrency: 1 });
    const first = gate(1);
    let secondRan = false;
    const p1 = queue.run("v1", first.task);
    const p2 = queue.run("v1", async () => {
      secondRan = true;
      return 2;
    });
    expect(p2).toBe(p1);
    first.open();
    expect(await p2).toBe(1);
    expect(secondRan).toBe(false);
  });

  it("forgets a key once its run failed, so the compile can be retried", async () => {
    const queue = createCompileQueue({ concurrency: 1 });
    await expect(queue.run("v", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(queue.run("v", async () => "ok")).resolves.toBe("ok");
    expect(queue.active).toBe(0);
  });

  it("refuses a concurrency below one", () => {
    expect(() => createCompileQueue({ concurrency: 0 })).toThrow(/concurrency must be a whole number/);
  });
});
