import { useCallback, useRef, useState } from 'react';
import type { RecordView } from '../main/ipc/contract.js';
import type { RecordType } from '../protocol/records/index.js';
import type { FieldOperation } from '../protocol/actions.js';
import { call } from './api.js';
import { explain } from './messages.js';

/**
 * Actions on one draft record, each tap or field its own journaled action: sent to the core one at a
 * time in the order the operator made them, so a quick second tap never overtakes the first. A
 * refusal is kept under the place on the form the action came from, to be shown there.
 */
export function useRecordActions<Place extends string>(recordType: RecordType, recordId: string, onSaved: (record: RecordView, seq: number) => void) {
  const [errors, setErrors] = useState<Partial<Record<Place, string>>>({});
  const queue = useRef<Promise<unknown>>(Promise.resolve());

  const perform = useCallback(
    (place: Place, ops: FieldOperation[], action: 'update' | 'submit' = 'update'): Promise<number | null> => {
      const run = async () => {
        setErrors({});
        try {
          const { seq, record } = await call('records.perform', { recordType, recordId, action, ops });
          onSaved(record, seq);
          return seq;
        } catch (failure) {
          setErrors({ [place]: explain(failure).message } as Partial<Record<Place, string>>);
          return null;
        }
      };
      const next = queue.current.then(run);
      queue.current = next;
      return next;
    },
    [recordType, recordId, onSaved],
  );

  /** Resolves once every action asked for so far has been answered. */
  const settled = useCallback(() => queue.current, []);

  return { perform, errors, setErrors, settled };
}
