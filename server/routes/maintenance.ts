import type { FastifyInstance } from 'fastify';
import { type MaintenanceQueue, certifyRepairsSchema, maintenanceQuerySchema } from '../../protocol/wire.js';
import { authenticateOfficeUser } from '../auth.js';
import type { ServiceContext } from '../context.js';
import { certifyRepairs, maintenanceQueue } from '../maintenance/service.js';
import { parseWith } from '../requests.js';

/** Maintenance sign-off: the queue of reported defects per unit, and a mechanic's certification. */
export function registerMaintenanceRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.get('/v1/office/maintenance', async (request): Promise<MaintenanceQueue> => {
    const user = await authenticateOfficeUser(context, request, 'readMaintenance');
    const { siteId } = parseWith(maintenanceQuerySchema, request.query, 'query');
    return maintenanceQueue(context.database.db, user, siteId);
  });

  app.post('/v1/office/maintenance/certifications', async (request, reply) => {
    const user = await authenticateOfficeUser(context, request, 'certifyRepairs');
    const certification = parseWith(certifyRepairsSchema, request.body);
    return reply.status(201).send(await certifyRepairs(context, user, certification));
  });
}
