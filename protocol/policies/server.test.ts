import { describe, expect, it } from 'vitest';
import { fieldStateAfter, serverPolicy, type FieldWrite } from './index.js';
import { T0, device, fieldWrite, office, stateFrom } from '../../test/support/policy-writes.js';

const onHand = (value: number, overrides: Partial<Omit<FieldWrite, 'op'>> = {}) => fieldWrite({ op: 'set', field: 'onHand', value }, overrides);

describe('server-authoritative fields (on-hand inventory)', () => {
  const officeFigure = stateFrom(serverPolicy, onHand(40, { author: office(), version: 1 }));

  it('records a device value as an observation and keeps the office figure, concurrent or not', () => {
    const counted = onHand(38, { author: device('kiosk-1', 12), baseVersion: 1, version: 2 });
    for (const concurrent of [false, true]) {
      const resolution = serverPolicy(officeFigure, counted, concurrent);
      expect(resolution).toEqual({ outcome: 'observed', reason: expect.stringContaining('onHand is kept by the office') });
      expect(fieldStateAfter(officeFigure, counted, resolution)).toBe(officeFigure);
    }
  });

  it('does not let a device set the first value either', () => {
    expect(serverPolicy(null, onHand(12, { author: device('kiosk-1', 1) }), false).outcome).toBe('observed');
  });

  it('applies office writes, and settles concurrent office writes by latest observation', () => {
    const recount = onHand(41, { author: office('op-rita'), baseVersion: 1, version: 2 });
    expect(serverPolicy(officeFigure, recount, false)).toEqual({ outcome: 'applied', value: 41 });
    expect(serverPolicy(officeFigure, { ...recount, effectiveTime: T0 + 1 }, true)).toMatchObject({ outcome: 'merged', superseded: 40 });
    expect(serverPolicy(officeFigure, { ...recount, effectiveTime: T0 - 1 }, true).outcome).toBe('superseded');
  });

  it('refuses an increment: the figure is set, not counted up', () => {
    expect(() => serverPolicy(officeFigure, fieldWrite({ op: 'increment', field: 'onHand', by: 1 }, { author: office() }), false)).toThrow(
      /settles set operations, not increment \(field onHand\)/,
    );
  });
});
