import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RECORD_TYPES, billingLine, gateEvent, inspection, workOrder, yardCount } from '../records/index.js';
import type { FieldSpec } from '../records/define.js';
import {
  PolicyInputError,
  addWinsSetPolicy,
  counterPolicy,
  fieldStateAfter,
  isConcurrent,
  lwwMapPolicy,
  lwwPolicy,
  ownerPolicy,
  policyFor,
  resolveEntryOutcome,
  reviewPolicy,
  serverPolicy,
  visibleFieldValue,
  type FieldOutcome,
  type FieldResolution,
} from './index.js';
import { T0, device, fieldWrite, office, stateFrom } from '../../test/support/policy-writes.js';

describe('policyFor: the registry decides which policy settles a field', () => {
  it('maps every declared policy to its function', () => {
    expect(policyFor(workOrder.fields.status)).toBe(lwwPolicy);
    expect(policyFor(inspection.fields.items)).toBe(lwwMapPolicy);
    expect(policyFor(workOrder.fields.assignee)).toBe(ownerPolicy('office'));
    expect(policyFor(workOrder.fields.completionNote)).toBe(ownerPolicy('field'));
    expect(policyFor(billingLine.fields.partsUsed)).toBe(reviewPolicy);
    expect(policyFor(yardCount.fields.onHand)).toBe(serverPolicy);
    expect(policyFor(yardCount.fields.tally)).toBe(counterPolicy);
    expect(policyFor(gateEvent.fields.sealNumbers)).toBe(addWinsSetPolicy);
  });

  it('finds a policy for every field of every record type both sides know', () => {
    for (const spec of Object.values(RECORD_TYPES)) {
      for (const [name, field] of Object.entries(spec.fields)) {
        expect(() => policyFor(field), `${spec.type}.${name}`).not.toThrow();
      }
    }
  });

  it("rejects a device's concurrent reassignment of a work order through the registry's declaration", () => {
    const policy = policyFor(workOrder.fields.assignee);
    const assigned = stateFrom(policy, fieldWrite({ op: 'set', field: 'assignee', value: 'op-ines' }, { author: office(), version: 1 }));
    const reassign = fieldWrite({ op: 'set', field: 'assignee', value: 'op-gus' }, { author: device('cab-1', 3), version: 2 });
    expect(policy(assigned, reassign, true).outcome).toBe('rejected');
  });

  it('refuses a field whose kind its policy cannot settle, saying which', () => {
    const mismatched: FieldSpec = { kind: 'map', schema: z.string(), policy: { kind: 'review' }, required: false, immutable: false };
    expect(() => policyFor(mismatched)).toThrow(PolicyInputError);
    expect(() => policyFor(mismatched)).toThrow('the review policy does not settle map fields');
    expect(() => policyFor({ ...mismatched, kind: 'scalar', policy: { kind: 'counter' } })).toThrow('the counter policy does not settle scalar fields');
  });
});

describe('resolveEntryOutcome: one result per journal entry', () => {
  const cases: [FieldOutcome[], string][] = [
    [['applied'], 'accepted'],
    [['applied', 'applied'], 'accepted'],
    [['applied', 'merged'], 'merged'],
    [['applied', 'superseded'], 'merged'],
    [['observed'], 'merged'],
    [['superseded', 'superseded'], 'merged'],
    [['applied', 'rejected'], 'merged'],
    [['rejected', 'rejected'], 'rejected'],
    [['applied', 'review', 'rejected'], 'conflict'],
    [['review'], 'conflict'],
  ];

  it.each(cases)('turns field outcomes %j into %s', (outcomes, expected) => {
    expect(resolveEntryOutcome(outcomes.map((outcome) => ({ outcome })))).toBe(expected);
  });

  it('refuses an entry with nothing resolved rather than calling it accepted', () => {
    expect(() => resolveEntryOutcome([])).toThrow(/at least one resolved operation/);
  });
});

describe('field state after a resolution', () => {
  const location = fieldWrite({ op: 'set', field: 'location', value: 'row 12' }, { author: device('cab-1', 8), version: 6, effectiveTime: T0 + 7 });
  const current = stateFrom(lwwPolicy, fieldWrite({ op: 'set', field: 'location', value: 'row 3' }, { author: office(), version: 2 }));

  it('takes the value and the stamp of a write that applied or merged', () => {
    expect(fieldStateAfter(current, location, { outcome: 'applied', value: 'row 12' })).toEqual({
      value: 'row 12',
      version: 6,
      effectiveTime: T0 + 7,
      receivedAt: location.receivedAt,
      origin: 'field',
      author: device('cab-1', 8),
    });
  });

  it.each<FieldResolution>([
    { outcome: 'superseded', reason: 'later change kept' },
    { outcome: 'rejected', reason: 'owned by the office' },
    { outcome: 'review', reason: 'concurrent', current: 'row 3', proposed: 'row 12' },
    { outcome: 'observed', reason: 'kept by the office' },
  ])('keeps the current state when the write was $outcome', (resolution) => {
    expect(fieldStateAfter(current, location, resolution)).toBe(current);
  });
});

describe('visibleFieldValue: what devices store', () => {
  it('shows sets as sorted members, maps as key → value and scalars as they are', () => {
    const seals = stateFrom(addWinsSetPolicy, fieldWrite({ op: 'add', field: 'sealNumbers', member: 'SEAL-9' }));
    const items = stateFrom(lwwMapPolicy, fieldWrite({ op: 'set', field: 'items', key: 'brakes', value: { result: 'pass' } }));
    expect(visibleFieldValue(gateEvent.fields.sealNumbers, seals)).toEqual(['SEAL-9']);
    expect(visibleFieldValue(inspection.fields.items, items)).toEqual({ brakes: { result: 'pass' } });
    expect(visibleFieldValue(workOrder.fields.location, stateFrom(lwwPolicy, fieldWrite({ op: 'set', field: 'location', value: 'bay 2' })))).toBe(
      'bay 2',
    );
  });

  it('shows a field nobody has written as its empty value', () => {
    expect(visibleFieldValue(gateEvent.fields.sealNumbers, null)).toEqual([]);
    expect(visibleFieldValue(inspection.fields.items, null)).toEqual({});
    expect(visibleFieldValue(yardCount.fields.tally, null)).toBe(0);
    expect(visibleFieldValue(workOrder.fields.location, null)).toBeNull();
  });
});

describe('isConcurrent: whether the writer had seen a change', () => {
  const write = { baseVersion: 4, version: 9, author: device('cab-1', 20) };

  it('says a change inside the base version, or on a field never written, was seen', () => {
    expect(isConcurrent(null, write)).toBe(false);
    expect(isConcurrent({ version: 4, author: device('cab-2', 3) }, write)).toBe(false);
  });

  it("says the device's own earlier entries and earlier operations of the same entry were seen", () => {
    expect(isConcurrent({ version: 7, author: device('cab-1', 19) }, write)).toBe(false);
    expect(isConcurrent({ version: 9, author: device('cab-1', 20) }, write)).toBe(false);
    expect(isConcurrent({ version: 9, author: office() }, { ...write, author: office() })).toBe(false);
  });

  it('says a change after the base version by another device or the office was not seen', () => {
    expect(isConcurrent({ version: 5, author: device('cab-2', 1) }, write)).toBe(true);
    expect(isConcurrent({ version: 5, author: office() }, write)).toBe(true);
    expect(isConcurrent({ version: 5, author: device('cab-1', 21) }, write)).toBe(true);
    expect(isConcurrent({ version: 1, author: office() }, { ...write, baseVersion: null })).toBe(true);
  });
});
