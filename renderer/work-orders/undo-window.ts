import { useCallback, useEffect, useState } from 'react';

/** How long a change stays undoable: long enough to notice a slip, short enough not to linger. */
export const UNDO_WINDOW_MS = 10_000;

export interface UndoOffer<T> {
  /** What the undo needs to put back. */
  subject: T;
  /** The clock's time when the offer ends. */
  until: number;
}

export function openUndo<T>(subject: T, now: number, windowMs = UNDO_WINDOW_MS): UndoOffer<T> {
  return { subject, until: now + windowMs };
}

/** Milliseconds left to undo at `now`; 0 once the window has closed. */
export function undoLeftMs(offer: UndoOffer<unknown>, now: number): number {
  return Math.max(0, offer.until - now);
}

/** When the countdown (whole seconds, rounded up) next changes, or the window closes. */
export function nextChangeInMs(leftMs: number): number {
  return leftMs <= 0 ? 0 : leftMs % 1000 || 1000;
}

/**
 * Performance time, not Date.now(): a wall clock set back (time zone, sync with the network) would
 * reopen a closed window or hold one open.
 */
const monotonicNow = () => performance.now();

/**
 * One undo offer at a time, gone when its window closes (a newer one replaces it). It lives in the
 * component's state, so leaving the screen or signing out ends it with nothing to clean up.
 */
export function useUndoWindow<T>(clock: () => number = monotonicNow) {
  const [offer, setOffer] = useState<UndoOffer<T> | null>(null);
  const [, setTicks] = useState(0);
  const leftMs = offer ? undoLeftMs(offer, clock()) : 0;

  useEffect(() => {
    if (!offer) return;
    const timer = setTimeout(() => (undoLeftMs(offer, clock()) > 0 ? setTicks((ticks) => ticks + 1) : setOffer(null)), nextChangeInMs(leftMs));
    return () => clearTimeout(timer);
  }, [offer, leftMs, clock]);

  const offerUndo = useCallback((subject: T) => setOffer(openUndo(subject, clock())), [clock]);
  /** The subject to put back, once: null when the window has closed meanwhile. */
  const takeUndo = useCallback((): T | null => {
    setOffer(null);
    return offer && undoLeftMs(offer, clock()) > 0 ? offer.subject : null;
  }, [offer, clock]);

  return { offer: leftMs > 0 ? offer : null, leftMs, offerUndo, takeUndo };
}
