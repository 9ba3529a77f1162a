import type { Locator } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_OPERATORS } from '../../scripts/demo-operators.js';
import { expectNoWhite, expectTopBarFits, pageProblems, screenshot, signIn, skipBrowserTests, useBrowserOnDevHost } from './browser.js';

/**
 * Day, Sunlight and Night on a 1024 × 768 cab laptop: chosen from the sign-in screen and from the
 * top bar's display menu, by pointer and by arrow keys, kept on the device across a reload and
 * painted from the very first frame; in each theme the words, the field edges and the primary
 * button read (WCAG contrast measured from the computed styles), and Night has no white area.
 */
const INSPECTOR = DEMO_OPERATORS.find((operator) => operator.role === 'inspector')!;
const CAB = { width: 1024, height: 768 };
const THEMES = [
  { theme: 'day', label: 'Day' },
  { theme: 'sunlight', label: 'Sunlight' },
  { theme: 'night', label: 'Night' },
] as const;

/** WCAG 2 relative luminance of a colour as getComputedStyle writes it, rgb(r, g, b) or rgba(r, g, b, 1). */
function luminance(color: string): number {
  const parts = /^rgba?\((\d+(?:\.\d+)?), (\d+(?:\.\d+)?), (\d+(?:\.\d+)?)(?:, ([\d.]+))?\)$/.exec(color);
  if (!parts) throw new Error(`not an rgb() colour: ${color}`);
  if (parts[4] !== undefined && Number(parts[4]) !== 1) throw new Error(`a translucent colour has no contrast of its own: ${color}`);
  const [r, g, b] = [parts[1], parts[2], parts[3]].map((part) => {
    const channel = Number(part) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG 2 contrast ratio, 1 to 21. */
function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

interface Colours {
  text: string;
  border: string;
  /** The first opaque background behind the element, its own included. */
  behind: string;
  /** The page's own background (the root element's). */
  page: string;
}

/** Runs in the page. Written without nested functions: it is sent to the browser as source. */
function coloursIn(element: any): Colours {
  const view = element.ownerDocument.defaultView;
  let behind = '';
  for (let node = element; node && !behind; node = node.parentElement) {
    const style = view.getComputedStyle(node);
    if (style.backgroundImage !== 'none') throw new Error(`a gradient behind ${element.outerHTML.slice(0, 80)}: no single colour to compare with`);
    if (!/^rgba\(.*, 0\)$/.test(style.backgroundColor)) behind = style.backgroundColor;
  }
  const own = view.getComputedStyle(element);
  return { text: own.color, border: own.borderTopColor, behind, page: view.getComputedStyle(element.ownerDocument.documentElement).backgroundColor };
}

const coloursOf = (locator: Locator) => locator.evaluate(coloursIn);

describe.skipIf(skipBrowserTests)('display themes in the browser', () => {
  const ui = useBrowserOnDevHost(CAB);

  beforeAll(async () => {
    // The theme the first painted frame has (callbacks of the first frame run just before it paints).
    await ui.page.addInitScript(() => {
      const scope = globalThis as any;
      scope.requestAnimationFrame(() => {
        scope.firstFrameTheme = scope.document.documentElement.dataset.theme ?? null;
      });
    });
  });

  const themeGroup = () => ui.page.getByRole('radiogroup', { name: 'Theme' });
  const themeRadio = (label: string) => themeGroup().getByRole('radio', { name: label, exact: true });
  const displayButton = () => ui.page.getByRole('button', { name: 'Display', exact: true });
  const shownTheme = () => ui.page.evaluate(() => (globalThis as any).document.documentElement.dataset.theme as string | undefined);
  const firstFrameTheme = () => ui.page.evaluate(() => (globalThis as any).firstFrameTheme as string | null);

  async function reload(): Promise<void> {
    await ui.page.reload();
    await ui.page.locator('main').first().waitFor();
  }

  /** Text, field edges and the primary button, in whatever theme is on screen. */
  async function expectReadable(samples: { text: Locator[]; input: Locator; primary: Locator; pageBackground: boolean }): Promise<void> {
    const root = await coloursOf(ui.page.locator('html'));
    expect(contrast(root.text, root.page)).toBeGreaterThanOrEqual(4.5);
    for (const text of samples.text) {
      const colours = await coloursOf(text);
      expect(contrast(colours.text, colours.behind), `${await text.textContent()}: ${colours.text} on ${colours.behind}`).toBeGreaterThanOrEqual(4.5);
    }
    const input = await coloursOf(samples.input);
    const around = await coloursOf(samples.input.locator('xpath=..'));
    expect(contrast(input.border, around.behind), `field edge ${input.border} on ${around.behind}`).toBeGreaterThanOrEqual(3);
    if (samples.pageBackground) expect(contrast(input.border, input.page), `field edge ${input.border} on the page ${input.page}`).toBeGreaterThanOrEqual(3);
    expect(contrast(input.text, input.behind)).toBeGreaterThanOrEqual(4.5);
    const primary = await coloursOf(samples.primary);
    expect(contrast(primary.text, primary.behind), `primary ${primary.text} on ${primary.behind}`).toBeGreaterThanOrEqual(4.5);
  }

  async function openDisplayMenu(): Promise<void> {
    await displayButton().click();
    await themeGroup().waitFor();
  }

  it('starts in Day, with the theme choice on the sign-in screen', async () => {
    await ui.page.goto(ui.host.url);
    await themeGroup().waitFor();
    expect(await shownTheme()).toBe('day');
    expect(await themeRadio('Day').getAttribute('aria-checked')).toBe('true');
    for (const label of ['Sunlight', 'Night']) expect(await themeRadio(label).getAttribute('aria-checked')).toBe('false');
    for (const { label } of THEMES) {
      const box = (await themeRadio(label).boundingBox())!;
      expect(box.height).toBeGreaterThanOrEqual(52);
      expect(box.width).toBeGreaterThanOrEqual(52);
    }
  });

  for (const { theme, label } of THEMES) {
    it(`switches to ${label} on the sign-in screen, reads in it, and keeps it across a reload from the first frame`, async () => {
      await themeRadio(label).click();
      expect(await shownTheme()).toBe(theme);
      const samples = {
        text: [ui.page.getByText('Badge ID', { exact: true }), ui.page.getByRole('heading', { name: 'Sign in' }), ui.page.getByText('Theme', { exact: true })],
        input: ui.page.getByLabel('Badge ID'),
        primary: ui.page.getByRole('button', { name: 'Sign in' }),
        // The sign-in card stands on a gradient in Day and Night: the field's edge is read against the card.
        pageBackground: false,
      };
      await expectReadable(samples);
      if (theme === 'night') await expectNoWhite(ui.page);

      await reload();
      expect(await shownTheme()).toBe(theme);
      expect(await themeRadio(label).getAttribute('aria-checked')).toBe('true');
      expect(await firstFrameTheme()).toBe(theme);
      await expectReadable(samples);
      await screenshot(ui.page, `40-theme-sign-in-${theme}`);
    });
  }

  it('changes the theme with the arrow keys on the sign-in screen, with a bolder focus ring in Sunlight', async () => {
    await themeRadio('Day').click();
    await themeRadio('Day').focus();
    await ui.page.keyboard.press('ArrowRight');
    expect(await shownTheme()).toBe('sunlight');
    const focused = themeRadio('Sunlight');
    expect(await focused.evaluate((radio) => radio === (globalThis as any).document.activeElement)).toBe(true);
    const ring = await focused.evaluate((radio) => {
      const style = (globalThis as any).getComputedStyle(radio);
      return { width: style.outlineWidth, color: style.outlineColor, style: style.outlineStyle };
    });
    expect(ring).toEqual({ width: '4px', color: 'rgb(0, 0, 0)', style: 'solid' });
    await ui.page.keyboard.press('ArrowLeft');
    expect(await shownTheme()).toBe('day');
    // One stop on Tab for the group, as with every other choice.
    expect(await themeRadio('Night').getAttribute('tabindex')).toBe('-1');
  });

  it('signs in in the theme chosen at sign-in, and fits the top bar at 1024 × 768 with the display menu', async () => {
    await themeRadio('Night').click();
    await signIn(ui.page, INSPECTOR);
    await ui.page.getByRole('heading', { name: 'Start an inspection' }).waitFor();
    expect(await shownTheme()).toBe('night');
    const signOut = ui.page.getByRole('button', { name: 'Sign out' });
    for (const control of [signOut, displayButton()]) {
      const box = (await control.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(CAB.width);
      expect(box.height).toBeGreaterThanOrEqual(52);
      expect(box.width).toBeGreaterThanOrEqual(52);
    }
    await expectTopBarFits(ui.page);
    // No theme choice in the bar itself: it is one button away.
    expect(await themeGroup().count()).toBe(0);
  });

  for (const { theme, label } of THEMES) {
    it(`switches to ${label} from the display menu when signed in, reads in it, and keeps it across a reload`, async () => {
      await openDisplayMenu();
      await themeRadio(label).click();
      expect(await shownTheme()).toBe(theme);
      const menu = (await ui.page.getByRole('dialog', { name: 'Display' }).boundingBox())!;
      expect(menu.x).toBeGreaterThanOrEqual(0);
      expect(menu.x + menu.width).toBeLessThanOrEqual(CAB.width);
      if (theme === 'day') await screenshot(ui.page, '43-theme-display-menu');
      await ui.page.keyboard.press('Escape');
      await themeGroup().waitFor({ state: 'hidden' });

      const samples = {
        text: [
          ui.page.getByRole('heading', { name: 'Start an inspection' }),
          ui.page.locator('label', { hasText: 'Unit / trailer number' }),
          ui.page.getByText('No inspection in progress.'),
          ui.page.getByRole('button', { name: 'Inspections', exact: true }),
          ui.page.getByRole('button', { name: 'Sign out' }),
          ui.page.getByTestId('sync-badge').locator('.sync-badge__label'),
        ],
        input: ui.page.getByLabel('Unit / trailer number'),
        primary: ui.page.getByRole('button', { name: 'Start inspection' }),
        pageBackground: true,
      };
      await expectReadable(samples);
      if (theme === 'night') await expectNoWhite(ui.page);
      await screenshot(ui.page, `41-theme-start-${theme}`);

      await reload();
      await ui.page.getByRole('heading', { name: 'Start an inspection' }).waitFor();
      expect(await shownTheme()).toBe(theme);
      expect(await firstFrameTheme()).toBe(theme);
      await openDisplayMenu();
      expect(await themeRadio(label).getAttribute('aria-checked')).toBe('true');
      await ui.page.keyboard.press('Escape');
      await expectReadable(samples);
    });
  }

  it('opens the display menu from the keyboard onto the chosen theme; the arrow keys change it and Escape goes back to the button', async () => {
    expect(await shownTheme()).toBe('night');
    await displayButton().focus();
    await ui.page.keyboard.press('Enter');
    await themeGroup().waitFor();
    expect(await themeRadio('Night').evaluate((radio) => radio === (globalThis as any).document.activeElement)).toBe(true);
    await ui.page.keyboard.press('ArrowRight');
    expect(await shownTheme()).toBe('day');
    expect(await themeRadio('Day').evaluate((radio) => radio === (globalThis as any).document.activeElement)).toBe(true);
    await ui.page.keyboard.press('ArrowLeft');
    expect(await shownTheme()).toBe('night');
    await ui.page.keyboard.press('Escape');
    await themeGroup().waitFor({ state: 'hidden' });
    expect(await displayButton().evaluate((button) => button === (globalThis as any).document.activeElement)).toBe(true);
  });

  it('shows an inspection checklist and its signature pad readably in every theme', async () => {
    await ui.page.getByRole('radio', { name: 'Driver vehicle inspection — power unit' }).click();
    await ui.page.getByLabel('Unit / trailer number').fill('trk-311');
    await ui.page.getByRole('button', { name: 'Start inspection' }).click();
    const answer = (item: string, result: string) => ui.page.getByRole('radiogroup', { name: item, exact: true }).getByRole('radio', { name: result, exact: true });
    await answer('Parking brake', 'Fail').click();
    await answer('Horn', 'Pass').click();
    await answer('Tires', 'N/A').click();
    await ui.page.getByText('3 of 11 items answered · 1 failed').waitFor();
    for (const { theme, label } of THEMES) {
      await openDisplayMenu();
      await themeRadio(label).click();
      await ui.page.keyboard.press('Escape');
      for (const [item, result] of [['Parking brake', 'Fail'], ['Horn', 'Pass'], ['Tires', 'N/A']] as const) {
        const chosen = await coloursOf(answer(item, result));
        expect(contrast(chosen.text, chosen.behind), `${theme} ${result}`).toBeGreaterThanOrEqual(4.5);
      }
      const defect = ui.page.getByLabel('New defect');
      const hint = await defect.evaluate((input) => (globalThis as any).getComputedStyle(input, '::placeholder').color as string);
      expect(contrast(hint, (await coloursOf(defect)).behind), `${theme} placeholder ${hint}`).toBeGreaterThanOrEqual(4.5);
      const submit = await coloursOf(ui.page.getByRole('button', { name: 'Submit inspection' }));
      expect(contrast(submit.text, submit.behind), `${theme} disabled submit`).toBeGreaterThanOrEqual(4.5);
      if (theme === 'night') await expectNoWhite(ui.page);
      await screenshot(ui.page, `42-theme-inspection-${theme}`);
    }
  });

  it('shows the theme chosen when signed in on the sign-in screen after signing out', async () => {
    await ui.page.getByRole('button', { name: 'Sign out' }).click();
    await themeGroup().waitFor();
    expect(await shownTheme()).toBe('night');
    expect(await themeRadio('Night').getAttribute('aria-checked')).toBe('true');
    expect(pageProblems(ui.page)).toEqual([]);
  });
});
