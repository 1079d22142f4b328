// Prints one plain closing line ("Summary: N passed, N failed") that CI tooling reads,
// in addition to jest's own report.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\nSummary: ${results.numPassedTests} passed, ${results.numFailedTests} failed${tail}\n`);
  }
}
