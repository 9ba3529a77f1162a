import { z } from 'zod';
import { isAppVersion } from '../app-version.js';

/**
 * Desktop app updates served by the office (the fleet often has no route to the internet).
 *
 * GET /updates/desktop/latest.yml, GET /updates/desktop/<installer> (no credential: installers are
 *      signed builds): electron-updater's generic feed, from the office's updates directory, with
 *      the rollout percentage an administrator set for that release.
 * GET /v1/admin/updates (admin) → `updateFeedStatusSchema`.
 * PUT /v1/admin/updates/rollout (admin; `setRolloutSchema`) → `updateFeedStatusSchema`.
 */
export const UPDATE_FEED_PATH = '/updates/desktop/';

const appVersion = z.string().refine(isAppVersion, 'not an app build such as 0.5.0 or 1.0.0-beta.2');

export const setRolloutSchema = z.strictObject({
  /** The release the percentage is for: it must be the one in the feed, so that a late click cannot stage another. */
  version: appVersion,
  /** The share of installations offered the release; 100 offers it to every one. */
  percentage: z.number().int().min(0).max(100),
});

export const updateFeedStatusSchema = z.strictObject({
  /** The release in the feed, or null when the updates directory holds none. */
  release: z.strictObject({ version: z.string(), files: z.array(z.string()), releaseDate: z.string().nullable() }).nullable(),
  /** What the feed offers it at: the administrator's setting for this release, or 100 without one. */
  percentage: z.number().int().min(0).max(100),
  setAt: z.number().int().nullable(),
  setBy: z.string().nullable(),
});
export type UpdateFeedStatus = z.infer<typeof updateFeedStatusSchema>;
