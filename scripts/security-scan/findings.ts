/**
 * Electronegativity's report, judged: every HIGH or MEDIUM finding must be on the reviewed
 * allow-list (build/electronegativity-allow.json), each entry naming the check, the file and why
 * the finding does not apply (usually: the option it asks about is set in code the scanner cannot
 * follow, and a named test holds it). Entries that no longer match a finding are stale: the list
 * must shrink with the code, never hide what is gone.
 */
export interface Finding {
  check: string;
  severity: string;
  confidence: string;
  file: string;
  location: string;
  sample: string;
}

export interface Allowance {
  check: string;
  file: string;
  why: string;
}

export const BLOCKING_SEVERITIES = ['HIGH', 'MEDIUM'] as const;

const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH'];
const REPORT_COLUMNS = 8;

/**
 * Electronegativity 1.10 writes its header and its rows with two writes it does not wait for, so
 * now and then the header lands over the rows: a report whose lines are not each a whole finding
 * is torn, and must be made again rather than read.
 */
export class TornReport extends Error {
  constructor(reason: string) {
    super(`the electronegativity report is torn: ${reason}`);
    this.name = 'TornReport';
  }
}

/** The report's CSV (header line first; fields quoted with "" escapes where they hold commas). */
export function parseReport(csv: string): Finding[] {
  const rows = csvRows(csv).filter((row) => row.some((cell) => cell.trim() !== ''));
  const [header, ...records] = rows;
  if (!header) throw new Error('the electronegativity report has no header line');
  if (header[0]?.trim() !== 'issue' || header.length !== REPORT_COLUMNS) throw new TornReport(`its first line is not the header: ${header.join(',').slice(0, 80)}`);
  for (const [index, row] of records.entries()) {
    if (row.length !== REPORT_COLUMNS || !/^[A-Z0-9_]+$/.test(row[0]!.trim()) || !SEVERITIES.includes(row[1]!.trim())) {
      throw new TornReport(`line ${index + 2} is not a whole finding: ${row.join(',').slice(0, 80)}`);
    }
  }
  return records.map(([check = '', severity = '', confidence = '', file = '', location = '', sample = '']) => ({
    check: check.trim(),
    severity: severity.trim(),
    confidence: confidence.trim(),
    file: file.trim(),
    location: location.trim(),
    sample: sample.trim(),
  }));
}

function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += char;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** What fails the scan: blocking findings no allowance explains, and allowances nothing matches. */
export function judge(findings: readonly Finding[], allowed: readonly Allowance[]): { unexplained: Finding[]; stale: Allowance[] } {
  const blocking = findings.filter((finding) => (BLOCKING_SEVERITIES as readonly string[]).includes(finding.severity));
  const matches = (allowance: Allowance, finding: Finding) => allowance.check === finding.check && allowance.file === finding.file;
  return {
    unexplained: blocking.filter((finding) => !allowed.some((allowance) => matches(allowance, finding))),
    stale: allowed.filter((allowance) => !blocking.some((finding) => matches(allowance, finding))),
  };
}
