import { describe, expect, it } from 'vitest';
import { certificationProblems, certifiedRepairs, reportedDefects } from './maintenance.js';

const inspection = {
  templateId: 'dvir-power-unit',
  items: {
    horn: { result: 'fail', note: '  Air horn does not sound ' },
    'service-brakes': { result: 'fail' },
    tires: { result: 'pass', note: 'Tread 9/32 in' },
    'custom-item': { result: 'fail', note: 'Item the office added later' },
  },
  defects: ['Mud flap torn off'],
};

describe('the defects an inspection reports', () => {
  it('lists failed items in checklist order with their labels and notes, unknown items after, then written-in defects; only marked items put the unit out of service', () => {
    expect(reportedDefects(inspection)).toEqual([
      { key: 'item:service-brakes', label: 'Service brakes including trailer brake connections', note: null, outOfService: true },
      { key: 'item:horn', label: 'Horn', note: 'Air horn does not sound', outOfService: false },
      { key: 'item:custom-item', label: 'custom-item', note: 'Item the office added later', outOfService: false },
      { key: 'defect:Mud flap torn off', label: 'Mud flap torn off', note: null, outOfService: false },
    ]);
  });

  it('reports nothing for a clean inspection or fields of the wrong shape', () => {
    expect(reportedDefects({ templateId: 'dvir-power-unit', items: { horn: { result: 'pass' } }, defects: [] })).toEqual([]);
    expect(reportedDefects({ items: 'not a map', defects: 'not a list' })).toEqual([]);
    expect(reportedDefects({ items: [{ result: 'fail' }], defects: [7, null] })).toEqual([]);
  });
});

describe('what a certification must decide', () => {
  const defects = reportedDefects(inspection);
  const all = (disposition: 'repaired' | 'no-repair-needed') => defects.map((defect) => ({ defect: defect.key, disposition }));

  it('takes every defect decided once', () => {
    expect(certificationProblems(defects, all('repaired'))).toEqual([]);
    expect(certificationProblems(defects, [...all('no-repair-needed').slice(1), { defect: 'item:service-brakes', disposition: 'repaired' }])).toEqual([]);
  });

  it('names each problem in words a mechanic reads', () => {
    const decisions = [
      { defect: 'item:service-brakes', disposition: 'deferred' as const, reason: 'parts on order' },
      { defect: 'item:horn', disposition: 'deferred' as const, reason: '   ' },
      { defect: 'item:horn', disposition: 'repaired' as const },
      { defect: 'item:wipers', disposition: 'repaired' as const },
    ];
    expect(certificationProblems(defects, decisions)).toEqual([
      '“Service brakes including trailer brake connections” puts the unit out of service: repair it, or find no repair is needed, before the unit runs',
      'say why “Horn” is deferred',
      '“Horn” is decided twice',
      '“wipers” is not a defect this inspection reported',
      '“custom-item” has no decision yet',
      '“Mud flap torn off” has no decision yet',
    ]);
  });

  it('keeps the decisions in report order with the reported labels and trimmed reasons', () => {
    const decisions = [
      { defect: 'defect:Mud flap torn off', disposition: 'deferred' as const, reason: '  next service  ' },
      { defect: 'item:horn', disposition: 'repaired' as const, reason: ' ' },
      { defect: 'item:service-brakes', disposition: 'repaired' as const },
      { defect: 'item:custom-item', disposition: 'no-repair-needed' as const },
    ];
    expect(certifiedRepairs(defects, decisions)).toEqual([
      { defect: 'item:service-brakes', label: 'Service brakes including trailer brake connections', disposition: 'repaired' },
      { defect: 'item:horn', label: 'Horn', disposition: 'repaired' },
      { defect: 'item:custom-item', label: 'custom-item', disposition: 'no-repair-needed' },
      { defect: 'defect:Mud flap torn off', label: 'Mud flap torn off', disposition: 'deferred', reason: 'next service' },
    ]);
  });
});
