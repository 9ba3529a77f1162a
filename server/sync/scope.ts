/**
 * Which sites' devices see a record: its home site, plus the site of whoever it is assigned to
 * (an inspector based at another yard still gets the work orders assigned to them).
 */
const ASSIGNEE_FIELDS: Readonly<Record<string, string>> = { workOrder: 'assignee' };

export function assigneeOf(recordType: string, fields: Record<string, unknown>): string | null {
  const field = ASSIGNEE_FIELDS[recordType];
  const value = field ? fields[field] : null;
  return typeof value === 'string' ? value : null;
}

export function audienceOf(
  recordType: string,
  homeSiteId: string,
  fields: Record<string, unknown>,
  operatorSite: (operatorId: string) => string | undefined,
): string[] {
  const assignee = assigneeOf(recordType, fields);
  const assigneeSite = assignee ? operatorSite(assignee) : undefined;
  return [...new Set([homeSiteId, ...(assigneeSite ? [assigneeSite] : [])])].sort();
}

/** Operators whose site the audience of these writes may depend on. */
export function assigneesIn(recordType: string, fieldSets: Iterable<Record<string, unknown>>): string[] {
  const ids = new Set<string>();
  for (const fields of fieldSets) {
    const assignee = assigneeOf(recordType, fields);
    if (assignee) ids.add(assignee);
  }
  return [...ids];
}
