// Runs the vitest suite once and ends with a plain "N passed, N failed" line (CI reads it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'squeezedesk-ui-test-'));
const report = join(dir, 'vitest.json');
const vitest = join(process.cwd(), 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests ?? 0;
  failed = r.numFailedTests ?? 0;
  // A test file that fails to load has no test results: count it as a failure.
  for (const f of r.testResults ?? []) if (f.status === 'failed' && !(f.assertionResults ?? []).length) failed++;
}
if (run.status !== 0 && failed === 0) failed = 1; // vitest itself failed (no report, crash…)
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
