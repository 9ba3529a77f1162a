/*
 * The saved display theme, set while index.html is still being parsed: main.tsx is a module script,
 * which runs only after the browser may already have painted the page in Day colours (a white flash
 * in a dark cab). theme.ts owns the storage key and the theme names; this file must follow it.
 */
/* global document, localStorage */
try {
  const theme = localStorage.getItem('waypost.theme');
  if (theme === 'day' || theme === 'sunlight' || theme === 'night') document.documentElement.dataset.theme = theme;
} catch {
  // Storage that cannot be read leaves Day, as theme.ts does.
}
