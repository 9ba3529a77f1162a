import { useCallback, useEffect, useRef, useState } from 'react';
import { call } from './api.js';

/** Typing is kept this soon after it pauses: a lock or a colleague's turn loses at most this much. */
const KEEP_AFTER_MS = 400;

/**
 * Form state kept in the core for the signed-in operator while it is typed, so an idle lock or an
 * operator switch never throws it away, and only that operator gets it back. `parse` checks what
 * comes back (null: not usable); `clear` forgets the draft once the form is saved.
 */
export function useDraft<T>(form: string, empty: T, parse: (value: unknown) => T | null): { value: T; set: (update: (current: T) => T) => void; clear: () => void; restored: boolean } {
  const [value, setValue] = useState(empty);
  const [restored, setRestored] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const loaded = useRef(false);

  useEffect(() => {
    let current = true;
    call('drafts.get', { form }).then(
      (stored) => {
        loaded.current = true;
        if (!current || stored === null) return;
        const parsed = safeParse(stored, parse);
        if (parsed === null) return;
        setValue(parsed);
        setRestored(true);
      },
      () => {
        loaded.current = true;
      },
    );
    return () => {
      current = false;
      clearTimeout(timer.current);
    };
    // The parser is the form's; a new one each render must not fetch again.
  }, [form]);

  const set = useCallback(
    (update: (current: T) => T) => {
      setValue((current) => {
        const next = update(current);
        clearTimeout(timer.current);
        // Saving is best effort: a failure leaves the form as typed on screen.
        if (loaded.current) timer.current = setTimeout(() => void call('drafts.put', { form, value: JSON.stringify(next) }).catch(() => undefined), KEEP_AFTER_MS);
        return next;
      });
    },
    [form],
  );

  const clear = useCallback(() => {
    clearTimeout(timer.current);
    setRestored(false);
    void call('drafts.put', { form, value: null }).catch(() => undefined);
  }, [form]);

  return { value, set, clear, restored };
}

function safeParse<T>(stored: string, parse: (value: unknown) => T | null): T | null {
  try {
    return parse(JSON.parse(stored));
  } catch {
    return null;
  }
}
