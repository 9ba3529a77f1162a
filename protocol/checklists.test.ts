import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SEED_CHECKLIST_TEMPLATES, checklistTemplateSchema } from './checklists.js';

/** The seed templates are the shared checklist data, with stable item ids added. */
const seedData = JSON.parse(readFileSync(new URL('../test/fixtures/inspection-checklists.json', import.meta.url), 'utf8')) as {
  templates: { id: string; title: string; items: string[] }[];
};

describe('seed checklist templates', () => {
  it('hold exactly the items of the shared checklist data, in order', () => {
    expect(SEED_CHECKLIST_TEMPLATES.map(({ id, title, items }) => ({ id, title, items: items.map((item) => item.label) }))).toEqual(seedData.templates);
  });

  it('pass the template schema the office edits are checked with', () => {
    for (const template of SEED_CHECKLIST_TEMPLATES) expect(checklistTemplateSchema.parse(template)).toEqual(template);
  });

  it('refuses a template whose item ids repeat, since answers are keyed by item id', () => {
    const [first] = SEED_CHECKLIST_TEMPLATES;
    const repeated = { ...first!, items: [...first!.items, { id: first!.items[0]!.id, label: 'Another item' }] };
    expect(checklistTemplateSchema.safeParse(repeated).error?.issues[0]?.message).toBe('item ids must be unique');
  });
});
