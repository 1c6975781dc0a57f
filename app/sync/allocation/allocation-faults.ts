/**
 * Crash simulation for the allocation tests (exact-allocation and allocation-contention suites): `maybeCrash(point)`
 * throws once when a test set `allocationFaults.crashAfter` to that point, so a test can stop a step between its two
 * remote writes and check that the resumed step shows each unit once. Never set in production.
 */

/** Test hook: throw after a named step (crash simulation). Never set in production. */
export const allocationFaults: { crashAfter: string | null } = { crashAfter: null };
export function maybeCrash(point: string): void {
  if (allocationFaults.crashAfter === point) {
    allocationFaults.crashAfter = null;
    throw new Error(`simulated crash after ${point}`);
  }
}
