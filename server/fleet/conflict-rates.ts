import { policyOf } from '../../protocol/records/index.js';
import { CONFLICT_OUTCOMES, type ConflictRate } from '../../protocol/wire.js';
import type { FieldOutcomeCount } from '../db/queries/kpis.js';

type ConflictOutcome = (typeof CONFLICT_OUTCOMES)[number];
/** A field decision that changed or tried to change the field; `observed` ones only read it. */
const EDIT_OUTCOMES = new Set(['applied', ...CONFLICT_OUTCOMES]);

/**
 * Conflicts per 1,000 field edits, by record type and the policy that settled them: an edit is a
 * field decision on a write; a conflict is one that met a concurrent edit (merged, superseded),
 * went to a person (review) or was refused by its owner policy (rejected). Busiest first.
 */
export function conflictRates(counts: readonly FieldOutcomeCount[]): ConflictRate[] {
  const rates = new Map<string, ConflictRate>();
  for (const { recordType, field, outcome, count } of counts) {
    if (!EDIT_OUTCOMES.has(outcome)) continue;
    const policy = policyOf(recordType, field);
    const key = `${recordType}\u0000${policy}`;
    const rate = rates.get(key) ?? { recordType, policy, edits: 0, conflicts: 0, perThousand: 0, outcomes: { merged: 0, superseded: 0, review: 0, rejected: 0 } };
    rate.edits += count;
    if (outcome !== 'applied') {
      rate.conflicts += count;
      rate.outcomes[outcome as ConflictOutcome] += count;
    }
    rates.set(key, rate);
  }
  return [...rates.values()]
    .map((rate) => ({ ...rate, perThousand: Math.round((rate.conflicts * 1000 * 10) / rate.edits) / 10 }))
    .sort((a, b) => b.edits - a.edits || (a.recordType < b.recordType ? -1 : a.recordType > b.recordType ? 1 : a.policy < b.policy ? -1 : 1));
}
