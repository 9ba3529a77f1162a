import { describe, expect, it } from 'vitest';
import { judge, parseReport, TornReport } from './findings.js';

const REPORT = [
  'issue, severity, confidence, filename, location, sample, description, url',
  'CSP_GLOBAL_CHECK,"LOW","FIRM","/scan/index.html","5:0","default-src \'none\'; script-src \'self\'","One or more CSP directives detected seems to be vulnerable",https://example.test/csp',
  'SANDBOX_JS_CHECK,"MEDIUM","FIRM","main/shell/main.ts","120:17","const window = new BrowserWindow(windowOptions({ preload, devTools: x }));","Use sandbox, ""really""",https://example.test/sandbox',
  'NODE_INTEGRATION_JS_CHECK,"HIGH","CERTAIN","main/shell/other.ts","3:4","nodeIntegration: true","Disable nodeIntegration",https://example.test/node',
  '',
].join('\n');

describe('the security scan', () => {
  it('reads the report, quoted commas and doubled quotes included', () => {
    const findings = parseReport(REPORT);
    expect(findings.map((finding) => [finding.check, finding.severity, finding.file, finding.location])).toEqual([
      ['CSP_GLOBAL_CHECK', 'LOW', '/scan/index.html', '5:0'],
      ['SANDBOX_JS_CHECK', 'MEDIUM', 'main/shell/main.ts', '120:17'],
      ['NODE_INTEGRATION_JS_CHECK', 'HIGH', 'main/shell/other.ts', '3:4'],
    ]);
    expect(findings[1]!.sample).toBe('const window = new BrowserWindow(windowOptions({ preload, devTools: x }));');
    expect(() => parseReport('')).toThrow(/no header/);
  });

  it('refuses a torn report, its header written over its rows, so that the scan is made again instead of read wrong', () => {
    const [header, first, second] = REPORT.split('\n');
    // What is tried: the header write landing after the rows' append, over their start.
    const torn = `${header}\n${first!.slice(header!.length + 1)}\n${second}\n`;
    expect(() => parseReport(torn)).toThrow(TornReport);
    expect(() => parseReport(`${first}\n${header}\n`)).toThrow(/first line is not the header/);
    expect(() => parseReport(`${header}\n${second}\nNODE_INTEGRATION_JS_CHECK,"HIGH","CERTAIN"\n`)).toThrow(/line 3 is not a whole finding/);
  });

  it('fails on a HIGH or MEDIUM finding no allowance explains, never on LOW, and on an allowance that matches nothing', () => {
    const findings = parseReport(REPORT);
    const allowed = [
      { check: 'SANDBOX_JS_CHECK', file: 'main/shell/main.ts', why: 'set in windowOptions()' },
      { check: 'CONTEXT_ISOLATION_JS_CHECK', file: 'main/shell/main.ts', why: 'gone since' },
    ];
    const { unexplained, stale } = judge(findings, allowed);
    expect(unexplained.map((finding) => finding.check)).toEqual(['NODE_INTEGRATION_JS_CHECK']);
    expect(stale.map((allowance) => allowance.check)).toEqual(['CONTEXT_ISOLATION_JS_CHECK']);
    // An allowance is for one file: the same check elsewhere is not explained by it.
    expect(judge([{ ...findings[1]!, file: 'preload/index.ts' }], allowed).unexplained).toHaveLength(1);
  });
});
