import { useId } from 'react';
import { Choice } from './components.js';
import { chooseTheme, THEMES, useTheme } from './theme.js';

/** The labelled Day / Sunlight / Night choice: one tap, or the arrow keys like every other choice. */
export function ThemeChoice({ className }: { className?: string }) {
  const theme = useTheme();
  const labelId = useId();
  return (
    <div className={`theme-choice${className ? ` ${className}` : ''}`}>
      <span id={labelId} className="theme-choice__label">
        Theme
      </span>
      <Choice label="Theme" labelledBy={labelId} options={THEMES} value={theme} onChange={chooseTheme} />
    </div>
  );
}

/**
 * The top bar's display menu: one square button, because at 1024 px the bar has no room for a
 * three-way choice beside the tabs and "Sign out". A native popover closes on Escape or a tap
 * elsewhere and hands focus back to the button.
 */
export function DisplayMenu() {
  const panelId = useId();
  return (
    <>
      <button type="button" className="button display-menu__button" popoverTarget={panelId} aria-label="Display" title="Display: Day, Sunlight or Night">
        <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false">
          <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" strokeWidth="2.5" />
          <path d="M12 3a9 9 0 0 1 0 18z" fill="currentColor" />
        </svg>
      </button>
      <div
        id={panelId}
        popover="auto"
        className="display-menu"
        role="dialog"
        aria-label="Display"
        onToggle={(event) => {
          // Straight onto the chosen theme, so the arrow keys work as soon as the menu opens.
          if (event.newState === 'open') event.currentTarget.querySelector<HTMLElement>('[role="radio"][tabindex="0"]')?.focus();
        }}
      >
        <ThemeChoice />
      </div>
    </>
  );
}
