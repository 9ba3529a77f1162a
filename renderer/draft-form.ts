import { useState } from 'react';
import { explain } from './messages.js';
import { useDraft } from './drafts.js';

/**
 * A form that creates or changes a record in one action, its entries kept as a draft for the
 * operator (through a lock or a colleague's turn) until that action is saved. What the core refuses
 * is said beside the field it names, or for the whole form when it names none of them.
 */
export function useDraftForm<F extends object>(draftName: string, initial: F, parse: (value: unknown) => F | null) {
  const { value: form, set: setForm, clear: clearDraft, restored } = useDraft(draftName, initial, parse);
  const [errors, setErrors] = useState<Partial<Record<keyof F, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** Changes one entry; what was said about it no longer applies. */
  const update = <K extends keyof F>(name: K, value: F[K]) => {
    setForm((current) => ({ ...current, [name]: value }));
    setErrors((current) => ({ ...current, [name]: undefined }));
  };

  /** Runs the saving action (busy meanwhile); once it is saved the draft goes and `saved` has its answer. */
  async function save<T>(action: () => Promise<T> | T, saved: (answer: T) => void): Promise<void> {
    setBusy(true);
    try {
      const answer = await action();
      clearDraft();
      saved(answer);
    } catch (error) {
      const problem = explain(error);
      if (problem.field && problem.field in form) setErrors({ [problem.field]: problem.message } as Partial<Record<keyof F, string>>);
      else setFormError(problem.message);
    } finally {
      setBusy(false);
    }
  }

  return { form, setForm, clearDraft, restored, errors, setErrors, formError, setFormError, busy, update, save };
}
