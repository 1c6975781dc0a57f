/**
 * A vitest reporter that names every test that passed only on a retry (decision 176): one line per such test,
 * `FLAKY  <file> > <suite> > <test> (passed on retry N)`, which `scripts/test-all.ts` repeats in its summary. A retried
 * test is never silent: flakiness in an integration test has twice been a real race in the engine (decision 007
 * addendum), so each one is a lead to follow, not noise.
 * Input: vitest's TestCase results (reporter API, vitest 4 `onTestCaseResult`); output: lines on stdout.
 */
import path from "node:path";
import type { Reporter, TestCase } from "vitest/node";

export default class FlakyReporter implements Reporter {
  onTestCaseResult(testCase: TestCase): void {
    const d = testCase.diagnostic();
    if (!d?.flaky) return;
    const file = path.relative(process.cwd(), testCase.module.moduleId);
    process.stdout.write(`FLAKY  ${file} > ${testCase.fullName} (passed on retry ${d.retryCount})\n`);
  }
}
