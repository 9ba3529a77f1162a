import { useCallback, useRef, useState } from 'react';
import type { RecordView } from '../main/ipc/contract.js';
import type { RecordType } from '../protocol/records/index.js';
import type { FieldOperation } from '../protocol/actions.js';
import { call } from './api.js';
import { explain } from './messages.js';
import { attachPng } from './attachments/attachments.js';

/**
 * Actions on one draft record, each tap or field its own journaled action: sent to the core one at a
 * time in the order the operator made them, so a quick second tap never overtakes the first. A
 * refusal is kept under the place on the form the action came from, to be shown there.
 */
export function useRecordActions<Place extends string>(recordType: RecordType, recordId: string, onSaved: (record: RecordView) => void) {
  const [errors, setErrors] = useState<Partial<Record<Place, string>>>({});
  // What the operator is told after each saved action.
  const [saved, setSaved] = useState<string | null>(null);
  const queue = useRef<Promise<unknown>>(Promise.resolve());

  const perform = useCallback(
    (place: Place, ops: FieldOperation[], action: 'update' | 'submit' = 'update'): Promise<number | null> => {
      const run = async () => {
        setErrors({});
        try {
          const { seq, record } = await call('records.perform', { recordType, recordId, action, ops });
          onSaved(record);
          setSaved(`Saved · journal entry ${seq}`);
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

  /** What a photo picker does to the record's photos: each photo added or removed is its own action. */
  const photoActions = (place: Place) => ({
    onAdd: (sha256: string) => perform(place, [{ op: 'add', field: 'photos', member: sha256 }]),
    onRemove: (sha256: string) => void perform(place, [{ op: 'remove', field: 'photos', member: sha256 }]),
  });

  /** Stores a drawn signature and sets it on the record's `field`; whether it took. A refusal shows at `place`. */
  async function sign(place: Place, field: string, pngDataUrl: string): Promise<boolean> {
    let signature: string;
    try {
      signature = await attachPng(pngDataUrl);
    } catch (failure) {
      setErrors({ [place]: explain(failure).message } as Partial<Record<Place, string>>);
      return false;
    }
    return (await perform(place, [{ op: 'set', field, value: signature }])) !== null;
  }

  return { perform, errors, setErrors, settled, saved, photoActions, sign };
}
