import { keepPreviousData, queryOptions } from '@tanstack/react-query';
import { canonicalRecordSchema } from '../protocol/wire/records.js';
import { officeDirectorySchema, workOrderBoardSchema } from '../protocol/wire/dispatch.js';
import { reviewItemPageSchema } from '../protocol/wire/review.js';
import { maintenanceQueueSchema } from '../protocol/wire/maintenance.js';
import { conflictRatesSchema, deviceListSchema, syncHealthSchema } from '../protocol/wire/office.js';
import { auditSearchResultSchema, recordHistorySchema, type AuditSearchQuery } from '../protocol/wire/audit.js';
import { updateFeedStatusSchema } from '../protocol/wire/updates.js';
import { request } from './api.js';

/**
 * What the screens read, as TanStack Query options. Every key starts with `office`: the live
 * channel marks them all stale when something commits, and the screens on view read again.
 */
export const OFFICE = 'office';

function path(base: string, params: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(name, String(value));
  const encoded = query.toString();
  return encoded ? `${base}?${encoded}` : base;
}

export const directoryQuery = queryOptions({
  queryKey: [OFFICE, 'directory'],
  queryFn: ({ signal }) => request('GET', '/v1/office/directory', officeDirectorySchema, { signal }),
  staleTime: 60_000,
});

export interface BoardFilter {
  siteId?: string;
  status?: string;
}

export const boardQuery = (filter: BoardFilter) =>
  queryOptions({
    queryKey: [OFFICE, 'work-orders', filter],
    queryFn: ({ signal }) => request('GET', path('/v1/office/work-orders', { ...filter }), workOrderBoardSchema, { signal }),
    placeholderData: keepPreviousData,
    // The live channel tells of commits; a device's last sync (a pull) commits nothing, so look again now and then.
    refetchInterval: 30_000,
  });

export interface ReviewFilter {
  siteId?: string;
  recordType?: string;
}

export const reviewQueueQuery = (filter: ReviewFilter) =>
  queryOptions({
    queryKey: [OFFICE, 'review-items', 'open', filter],
    queryFn: ({ signal }) => request('GET', path('/v1/office/review-items', { status: 'open', limit: 200, ...filter }), reviewItemPageSchema, { signal }),
    placeholderData: keepPreviousData,
  });

export const maintenanceQuery = (siteId: string | undefined) =>
  queryOptions({
    queryKey: [OFFICE, 'maintenance', siteId ?? null],
    queryFn: ({ signal }) => request('GET', path('/v1/office/maintenance', { siteId }), maintenanceQueueSchema, { signal }),
    placeholderData: keepPreviousData,
  });

export const updateFeedQuery = queryOptions({
  queryKey: [OFFICE, 'updates'],
  queryFn: ({ signal }) => request('GET', '/v1/admin/updates', updateFeedStatusSchema, { signal }),
});

export const devicesQuery = (siteId: string | undefined) =>
  queryOptions({
    queryKey: [OFFICE, 'devices', siteId ?? null],
    queryFn: ({ signal }) => request('GET', path('/v1/admin/devices', { siteId }), deviceListSchema, { signal }),
    placeholderData: keepPreviousData,
    // A device's sync (a pull) commits nothing the live channel tells of: look again now and then.
    refetchInterval: 30_000,
  });

export const conflictRatesQuery = (siteId: string | undefined) =>
  queryOptions({
    queryKey: [OFFICE, 'kpis', 'conflicts', siteId ?? null],
    queryFn: ({ signal }) => request('GET', path('/v1/admin/kpis/conflicts', { siteId }), conflictRatesSchema, { signal }),
    placeholderData: keepPreviousData,
    // Counts over days: a commit changes them little, so the live channel's every change need not reread at once.
    staleTime: 30_000,
  });

export const syncHealthQuery = (siteId: string | undefined) =>
  queryOptions({
    queryKey: [OFFICE, 'kpis', 'sync', siteId ?? null],
    queryFn: ({ signal }) => request('GET', path('/v1/admin/kpis/sync', { siteId }), syncHealthSchema, { signal }),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });

export const recordQuery = (type: string, id: string) =>
  queryOptions({
    queryKey: [OFFICE, 'record', type, id],
    queryFn: ({ signal }) => request('GET', `/v1/office/records/${encodeURIComponent(type)}/${encodeURIComponent(id)}`, canonicalRecordSchema, { signal }),
  });

export const historyQuery = (type: string, id: string) =>
  queryOptions({
    queryKey: [OFFICE, 'history', type, id],
    queryFn: ({ signal }) => request('GET', `/v1/audit/records/${encodeURIComponent(type)}/${encodeURIComponent(id)}/history`, recordHistorySchema, { signal }),
  });

export const auditSearchQuery = (query: AuditSearchQuery) =>
  queryOptions({
    queryKey: [OFFICE, 'audit-search', query],
    queryFn: ({ signal }) => request('GET', path('/v1/audit/search', { ...query }), auditSearchResultSchema, { signal }),
  });
