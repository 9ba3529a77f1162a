import { checklistTemplate } from './checklists.js';
import type { RecordFields } from './records/define.js';
import type { DefectRepair, RepairDisposition } from './records/repair-certification.js';

/**
 * Maintenance sign-off (49 CFR 396.11(a)(3)): the defects an inspection reported and what a
 * mechanic must decide about each. One rule for the office (which refuses a certification that
 * breaks it) and the console (which shows why before sending). The office's signature on a
 * certification, which devices check: maintenance-signature.ts.
 */

/** A unit number as the maintenance queue and dispatch compare it: people type it in either case. */
export function unitKey(equipmentNumber: string): string {
  return equipmentNumber.trim().toUpperCase();
}

/** A defect an inspection reported: a failed checklist item, or a defect written in. */
export interface ReportedDefect {
  /** `item:<checklist item id>` or `defect:<text>`: how a certification names it. */
  key: string;
  label: string;
  /** What the inspector wrote about a failed item. */
  note: string | null;
  /** A failed item its checklist marks out-of-service: the unit does not run until it is dealt with. */
  outOfService: boolean;
}

interface ChecklistAnswer {
  result?: unknown;
  note?: unknown;
}

/** The defects an inspection's fields report, failed checklist items first in checklist order. */
export function reportedDefects(inspection: RecordFields): ReportedDefect[] {
  const template = checklistTemplate(inspection.templateId);
  const answers = isPlainObject(inspection.items) ? (inspection.items as Record<string, ChecklistAnswer>) : {};
  const order = new Map(template?.items.map((item, index) => [item.id, index]) ?? []);
  const failed = Object.keys(answers)
    .filter((itemId) => answers[itemId]?.result === 'fail')
    .sort((a, b) => (order.get(a) ?? order.size) - (order.get(b) ?? order.size) || (a < b ? -1 : a > b ? 1 : 0))
    .map((itemId): ReportedDefect => {
      const item = template?.items.find((candidate) => candidate.id === itemId);
      const note = answers[itemId]?.note;
      return { key: `item:${itemId}`, label: item?.label ?? itemId, note: typeof note === 'string' && note.trim() ? note.trim() : null, outOfService: item?.outOfService === true };
    });
  const written = Array.isArray(inspection.defects) ? inspection.defects.filter((defect): defect is string => typeof defect === 'string') : [];
  return [...failed, ...written.map((defect): ReportedDefect => ({ key: `defect:${defect}`, label: defect, note: null, outOfService: false }))];
}

/** What a mechanic sends for one defect; the office adds the label the inspector reported. */
export interface RepairDecision {
  defect: string;
  disposition: RepairDisposition;
  reason?: string;
}

/**
 * Why a certification of `defects` with `decisions` cannot be signed (empty when it can): every
 * reported defect decided once, nothing else; a deferral says why; an out-of-service defect is
 * not deferred, since the unit would run with it.
 */
export function certificationProblems(defects: readonly ReportedDefect[], decisions: readonly RepairDecision[]): string[] {
  const problems: string[] = [];
  const byKey = new Map(defects.map((defect) => [defect.key, defect]));
  const seen = new Set<string>();
  for (const decision of decisions) {
    const defect = byKey.get(decision.defect);
    if (!defect) {
      problems.push(`“${decision.defect.replace(/^(item|defect):/, '')}” is not a defect this inspection reported`);
      continue;
    }
    if (seen.has(decision.defect)) problems.push(`“${defect.label}” is decided twice`);
    seen.add(decision.defect);
    if (decision.disposition === 'deferred' && defect.outOfService) {
      problems.push(`“${defect.label}” puts the unit out of service: repair it, or find no repair is needed, before the unit runs`);
    } else if (decision.disposition === 'deferred' && !decision.reason?.trim()) {
      problems.push(`say why “${defect.label}” is deferred`);
    }
  }
  for (const defect of defects) if (!seen.has(defect.key)) problems.push(`“${defect.label}” has no decision yet`);
  return problems;
}

/** The decisions as the certification keeps them: in the order the defects were reported, with their labels. */
export function certifiedRepairs(defects: readonly ReportedDefect[], decisions: readonly RepairDecision[]): DefectRepair[] {
  const byKey = new Map(decisions.map((decision) => [decision.defect, decision]));
  return defects.flatMap((defect) => {
    const decision = byKey.get(defect.key);
    if (!decision) return [];
    const reason = decision.reason?.trim();
    return [{ defect: defect.key, label: defect.label, disposition: decision.disposition, ...(reason ? { reason } : {}) }];
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
