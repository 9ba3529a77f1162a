import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CURRENT_SCHEMA_VERSION, listReviewItemsQuerySchema, resolveReviewItemSchema } from '../../protocol/wire.js';
import type { ServiceContext } from '../context.js';
import { parseWith } from '../requests.js';
import { authenticateOfficeUser } from '../auth.js';
import { listReviewItems } from '../review/queries.js';
import { resolveReviewItem, reviewItemOf } from '../review/service.js';
import { canonicalFor } from '../sync/canonical.js';

const DEFAULT_PAGE = 50;
const itemParams = z.strictObject({ id: z.string().regex(/^[1-9]\d{0,15}$/, 'a review item id').transform(Number) });

/**
 * The review queue: what policy could not settle waits here for a person. Dispatchers and auditors
 * may look; only reviewers and admins decide.
 */
export function registerReviewRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { db } = context.database;

  app.get('/v1/office/review-items', async (request) => {
    const user = await authenticateOfficeUser(context, request, 'readReviewQueue');
    const query = parseWith(listReviewItemsQuerySchema, request.query, 'query');
    const limit = query.limit ?? DEFAULT_PAGE;
    const views = await listReviewItems(db, {
      organisationId: user.organisationId,
      status: query.status,
      siteId: query.siteId,
      recordType: query.recordType,
      afterId: query.after,
      limit: limit + 1,
    });
    const page = views.slice(0, limit);
    return { items: page.map(reviewItemOf), nextAfter: views.length > limit ? page.at(-1)!.item.id : null };
  });

  app.post('/v1/office/review-items/:id/resolve', async (request) => {
    const user = await authenticateOfficeUser(context, request, 'resolveReviews');
    const { id } = parseWith(itemParams, request.params, 'path');
    const decision = parseWith(resolveReviewItemSchema, request.body);
    const { item, record } = await resolveReviewItem(context, user, id, decision);
    return { item, record: canonicalFor(record, CURRENT_SCHEMA_VERSION) };
  });
}
