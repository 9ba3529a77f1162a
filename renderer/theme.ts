import { useSyncExternalStore } from 'react';

/**
 * The display theme: a preference of the machine (the cab in the sun, the kiosk at night), not of
 * the operator or the records, so it stays in this browser profile and never reaches the core.
 */
export type Theme = 'day' | 'sunlight' | 'night';

export const THEMES: readonly { value: Theme; label: string }[] = [
  { value: 'day', label: 'Day' },
  { value: 'sunlight', label: 'Sunlight' },
  { value: 'night', label: 'Night' },
];

const STORAGE_KEY = 'waypost.theme';
const DEFAULT_THEME: Theme = 'day';

function isTheme(value: unknown): value is Theme {
  return THEMES.some((theme) => theme.value === value);
}

/** The theme chosen last on this machine. Storage that cannot be read (disabled, corrupt profile) means Day: a display preference must never stop the app. */
export function storedTheme(): Theme {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return isTheme(stored) ? stored : DEFAULT_THEME;
  } catch {
    return DEFAULT_THEME;
  }
}

/** styles.css keys every colour on this attribute, so setting it repaints the whole app at once. */
export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

const listeners = new Set<() => void>();

export function chooseTheme(theme: Theme): void {
  applyTheme(theme);
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Not kept for the next start, but this session still shows it: better than refusing the choice.
  }
  for (const listener of listeners) listener();
}

function currentTheme(): Theme {
  const theme = document.documentElement.dataset.theme;
  return isTheme(theme) ? theme : DEFAULT_THEME;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The theme on screen, shared by every control that shows it (the sign-in screen's and the top bar's). */
export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, currentTheme);
}
