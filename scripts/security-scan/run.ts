import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { type Allowance, type Finding, judge, parseReport, TornReport } from './findings.js';

/**
 * `npm run security-scan`: electronegativity over the only code that touches Electron (the shell
 * and the preload, as sources) and the renderer's HTML (its CSP), offline: the check that fetches
 * Electron's release list is left out and the installed Electron's version is given. Fails on a
 * HIGH or MEDIUM finding not on build/electronegativity-allow.json, or an allowance that no longer
 * matches anything. The report is kept in test-results/electronegativity.csv.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const SCANNED = ['main/shell', 'preload', 'renderer/index.html', 'package.json'];
const REPORT = join(ROOT, 'test-results', 'electronegativity.csv');

const require = createRequire(import.meta.url);
const electronVersion = (JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')) as { version: string }).version;
const tool = join(ROOT, 'node_modules', '.bin', 'electronegativity');

/** A torn report (findings.ts TornReport) is made again, a bounded number of times. */
const SCAN_ATTEMPTS = 4;

function scan(scanDir: string): Finding[] {
  for (let attempt = 1; ; attempt++) {
    rmSync(REPORT, { force: true });
    const run = spawnSync(tool, ['-i', scanDir, '-e', electronVersion, '-x', 'AvailableSecurityFixesGlobalCheck', '-o', REPORT, '-v', 'false'], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (run.status !== 0 || !existsSync(REPORT)) {
      throw new Error(`electronegativity did not produce a report (exit ${run.status}): ${run.stderr || run.stdout || run.error?.message}`);
    }
    try {
      return parseReport(readFileSync(REPORT, 'utf8'));
    } catch (error) {
      if (!(error instanceof TornReport) || attempt >= SCAN_ATTEMPTS) throw error;
      process.stdout.write(`${error.message}; scanning again (${attempt} of ${SCAN_ATTEMPTS})\n`);
    }
  }
}

const scanDir = mkdtempSync(join(tmpdir(), 'waypost-scan-'));
try {
  for (const path of SCANNED) cpSync(join(ROOT, path), join(scanDir, path), { recursive: true });
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  const findings = scan(scanDir).map((finding) => ({ ...finding, file: finding.file.startsWith(scanDir) ? relative(scanDir, finding.file) : finding.file }));
  writeFileSync(REPORT, ['check,severity,confidence,file,location', ...findings.map((f) => [f.check, f.severity, f.confidence, f.file, f.location].join(','))].join('\n') + '\n');
  const allowed = JSON.parse(readFileSync(join(ROOT, 'build', 'electronegativity-allow.json'), 'utf8')) as Allowance[];
  const { unexplained, stale } = judge(findings, allowed);
  for (const finding of findings) {
    const mark = unexplained.includes(finding) ? 'FAIL' : allowed.some((a) => a.check === finding.check && a.file === finding.file) ? 'allowed' : 'info';
    process.stdout.write(`${mark.padEnd(8)} ${finding.severity.padEnd(13)} ${finding.check.padEnd(40)} ${finding.file}:${finding.location}\n`);
  }
  for (const allowance of stale) process.stdout.write(`STALE    ${allowance.check} in ${allowance.file}: no such finding any more; remove it from the allow-list\n`);
  process.stdout.write(`electronegativity ${electronVersion}: ${findings.length} findings, ${unexplained.length} unexplained HIGH/MEDIUM, ${stale.length} stale allowances (report: ${relative(ROOT, REPORT)})\n`);
  if (unexplained.length > 0 || stale.length > 0) process.exitCode = 1;
} finally {
  rmSync(scanDir, { recursive: true, force: true });
}
