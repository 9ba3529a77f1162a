/**
 * Who may do what at the office. The service enforces it on every endpoint (server/auth.ts); the
 * console reads the same table only to hide what the service would refuse.
 *
 * dispatcher: work orders. reviewer: the review queue and the history it needs. auditor: reading
 * records, history and journal exports. maintenance: reading records and their attachments, the
 * maintenance queue, and certifying repairs of reported defects. admin: everything, including the organisation, its people and its devices.
 */
export const OFFICE_ROLES = ['dispatcher', 'reviewer', 'auditor', 'maintenance', 'admin'] as const;
export type OfficeRole = (typeof OFFICE_ROLES)[number];

export const OFFICE_ACCESS = {
  /** The console itself: who am I, sign out. */
  console: OFFICE_ROLES,
  editWorkOrders: ['dispatcher', 'admin'],
  readRecords: OFFICE_ROLES,
  readAttachments: OFFICE_ROLES,
  readReviewQueue: ['dispatcher', 'reviewer', 'auditor', 'admin'],
  resolveReviews: ['reviewer', 'admin'],
  readAudit: ['reviewer', 'auditor', 'admin'],
  readMaintenance: ['dispatcher', 'maintenance', 'admin'],
  certifyRepairs: ['maintenance', 'admin'],
  administer: ['admin'],
} as const satisfies Record<string, readonly OfficeRole[]>;
export type OfficeCapability = keyof typeof OFFICE_ACCESS;
