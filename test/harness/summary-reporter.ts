/**
 * Prints plain closing lines after the run, so CI logs (and anything reading them) get the totals
 * without colours or layout: one per vitest project (layer), then the overall line,
 * `tests: N passed, N failed, N skipped`.
 */
import type { Reporter, TestModule } from 'vitest/node';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const format = (c: Counts) => `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const total: Counts = { passed: 0, failed: 0, skipped: 0 };
    const byProject = new Map<string, Counts>();
    for (const module of testModules) {
      const name = module.project.name || 'tests';
      const counts = byProject.get(name) ?? { passed: 0, failed: 0, skipped: 0 };
      byProject.set(name, counts);
      const bump = (key: keyof Counts) => {
        counts[key]++;
        total[key]++;
      };
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') bump('passed');
        else if (state === 'failed') bump('failed');
        else bump('skipped');
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) bump('failed');
    }
    const lines = byProject.size > 1 ? [...byProject].map(([name, counts]) => `  ${name}: ${format(counts)}`) : [];
    process.stdout.write(`\n${[...lines, `tests: ${format(total)}`].join('\n')}\n`);
  }
}
