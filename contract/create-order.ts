/**
 * The order of a create, agreed between gateways and executors. A gateway queues an instance's start
 * message (and its index entry) before it writes the instance record, so a gateway killed at any
 * moment leaves no record without its start; what it can leave is a start without its record,
 * which an executor discards once no gateway can still write that record.
 *
 * Why this order and not an outbox repaired by a sweeper: the start message is already the durable
 * intent, executors already read every one of them, and the create path keeps its round trips (the
 * publish goes out beside the index write, where it went out beside it after the record before). A
 * sweeper would have to scan the instance records for `queued` ones and could not tell a record
 * whose start is merely waiting in a backlog from one that has none.
 *
 * The two times below keep the executor from discarding a start whose record is still coming: a
 * gateway never sends an instance record's write later than `CREATE_DEADLINE_MS` after it began the
 * create (before it reserved the quota slot), and an executor discards a start only once it is
 * `ORPHAN_START_GRACE_MS` old. The gap between them is what the gateways' and executors' clocks may
 * disagree by (NTP keeps them far closer).
 */

/** A gateway gives up on a create (503, nothing created) rather than write its record later than this after it began. */
export const CREATE_DEADLINE_MS = 10_000;

/** An executor discards a start message without its record once it is this old (its `createdAt`). */
export const ORPHAN_START_GRACE_MS = 30_000;
