import { describe, expect, it } from 'vitest';
import { gateEvent, type RecordTypeSpec } from './records/index.js';
import {
  bucketLeaves,
  differingBuckets,
  outsideWindow,
  type RecordStateInput,
  recordStateLeaf,
  STATE_BUCKETS,
  stateBucket,
  summarizeState,
} from './state-hash.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 10, 22);

function gate(id: string, overrides: Partial<RecordStateInput> & { fields?: Record<string, unknown> } = {}): RecordStateInput {
  return {
    type: 'gateEvent',
    id,
    version: 1,
    deleted: false,
    pendingReview: false,
    ...overrides,
    fields: {
      siteId: 'site-north',
      direction: 'in',
      truckPlate: 'TX 4411',
      carrier: 'Lone Star Haulage',
      driverName: null,
      containerNumber: 'CSQU3054383',
      chassisNumber: null,
      sealNumbers: ['S-1', 'S-2'],
      photos: [],
      recordedAt: NOW - 40 * DAY,
      status: 'submitted',
      correctsId: null,
      ...overrides.fields,
    },
  };
}

const leafOf = (record: RecordStateInput, spec: RecordTypeSpec = gateEvent) => recordStateLeaf(spec, record);
const rootOf = (records: RecordStateInput[]) => summarizeState(records.map((record) => leafOf(record))).root;

describe('state hash', () => {
  it('is the same whatever order the records, or the members of a set, come in', () => {
    const records = Array.from({ length: 50 }, (_, i) => gate(`gate-${i}`));
    const shuffled = [...records].reverse().map((record, i) => (i % 2 ? { ...record, fields: { ...record.fields, sealNumbers: ['S-2', 'S-1'] } } : record));
    expect(rootOf(shuffled)).toBe(rootOf(records));
  });

  it('changes with every part of a record: its version, a field, deleted, pending review', () => {
    const base = leafOf(gate('gate-1')).leaf;
    const changed = [
      gate('gate-1', { version: 2 }),
      gate('gate-1', { fields: { truckPlate: 'TX 4412' } }),
      gate('gate-1', { deleted: true }),
      gate('gate-1', { pendingReview: true }),
      gate('gate-2'),
    ].map((record) => leafOf(record).leaf);
    expect(new Set([base, ...changed]).size).toBe(changed.length + 1);
  });

  it('reads a field the office left out as its empty value, as the device stores it', () => {
    const held = gate('gate-1');
    const { driverName: _driver, photos: _photos, ...sent } = held.fields;
    expect(leafOf({ ...held, fields: sent }).leaf).toBe(leafOf(held).leaf);
  });

  it('leaves out a field the client cannot know', () => {
    const held = gate('gate-1');
    const older = (field: string) => field !== 'driverName';
    expect(recordStateLeaf(gateEvent, { ...held, fields: { ...held.fields, driverName: 'Ana' } }, older).leaf).toBe(recordStateLeaf(gateEvent, held, older).leaf);
  });

  it('tells which bucket holds the record that differs, and lists that bucket in key order', () => {
    const records = Array.from({ length: 300 }, (_, i) => gate(`gate-${i}`));
    const office = summarizeState(records.map((record) => leafOf(record)));
    const held = records.map((record) => (record.id === 'gate-123' ? gate('gate-123', { fields: { carrier: 'forged' } }) : record));
    const device = summarizeState(held.map((record) => leafOf(record)));

    expect(office.records).toBe(300);
    expect(office.buckets).toHaveLength(STATE_BUCKETS);
    expect(differingBuckets(device, office)).toEqual([stateBucket('gateEvent', 'gate-123')]);
    const listed = bucketLeaves(records.map((record) => leafOf(record)), [stateBucket('gateEvent', 'gate-123')]);
    expect(listed.map((leaf) => leaf.id)).toContain('gate-123');
    expect(listed.map((leaf) => leaf.id)).toEqual([...listed.map((leaf) => leaf.id)].sort());
  });
});

describe('retention window', () => {
  const before = NOW - 30 * DAY;

  it('takes out a submitted gate event recorded before the window, and nothing open, recent or without a closing time', () => {
    expect(outsideWindow('gateEvent', gate('old').fields, before)).toBe(true);
    expect(outsideWindow('gateEvent', gate('draft', { fields: { status: 'draft' } }).fields, before)).toBe(false);
    expect(outsideWindow('gateEvent', gate('recent', { fields: { recordedAt: NOW - DAY } }).fields, before)).toBe(false);
    expect(outsideWindow('note', { subjectType: 'gateEvent', subjectId: 'old', body: 'seal torn' }, before)).toBe(false);
  });

  it('takes out a finished work order by its completion time, an open one never', () => {
    expect(outsideWindow('workOrder', { status: 'done', completedAt: NOW - 40 * DAY }, before)).toBe(true);
    expect(outsideWindow('workOrder', { status: 'in-progress', completedAt: null, dueDate: NOW - 90 * DAY }, before)).toBe(false);
  });
});
