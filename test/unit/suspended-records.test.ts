/**
 * The records an executor keeps for the claims that bring suspended instances back: each handed out
 * once, the newest kept over an older one of the same instance, and the oldest dropped past either bound.
 */
import { expect, it } from "vitest";
import { SuspendedRecords } from "../../executor/suspended-records.ts";
import { instanceRecord } from "../helpers/instance-record.ts";

const record = (id: string) => instanceRecord({ id, createdAt: 1 });
const stored = (id: string, revision: number, bytes = 100) => ({ record: record(id), revision, bytes });
const ref = (id: string) => ({ tenant: record(id).tenant, workflow: record(id).workflow, instance: id });

it("hands a record out once, the latest kept for its instance", () => {
  const records = new SuspendedRecords();
  records.keep(stored("a", 1));
  records.keep(stored("a", 5));
  expect(records.size).toBe(1);
  expect(records.take(ref("a"))?.revision).toBe(5);
  expect(records.take(ref("a"))).toBeUndefined();
  expect(records.take(ref("b"))).toBeUndefined();
});

it("drops the oldest records past its count or its bytes, and never keeps one too big to be worth it", () => {
  const byCount = new SuspendedRecords({ maxRecords: 3 });
  for (const id of ["a", "b", "c", "d"]) byCount.keep(stored(id, 1));
  expect(byCount.size).toBe(3);
  expect(byCount.take(ref("a"))).toBeUndefined();
  expect(byCount.take(ref("d"))?.revision).toBe(1);

  const byBytes = new SuspendedRecords({ maxBytes: 8_000 });
  for (const id of ["a", "b", "c"]) byBytes.keep(stored(id, 1, 900));
  byBytes.keep(stored("d", 1, 900));
  expect(byBytes.size).toBe(4);
  // 900 bytes each pass 8,000 at the ninth: from then on the oldest go.
  for (let i = 0; i < 6; i++) byBytes.keep(stored(`e${i}`, 1, 900));
  expect(byBytes.size).toBe(8);
  expect(byBytes.take(ref("a"))).toBeUndefined();
  expect(byBytes.take(ref("b"))).toBeUndefined();
  expect(byBytes.take(ref("c"))?.revision).toBe(1);
  byBytes.keep(stored("huge", 1, 1_001));
  expect(byBytes.take(ref("huge"))).toBeUndefined();
  // A record of unknown size counts as a small one.
  byCount.keep({ record: record("unsized"), revision: 3 });
  expect(byCount.take(ref("unsized"))?.revision).toBe(3);
});
