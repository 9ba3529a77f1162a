import { createRootRoute, createRoute, createRouter, Navigate } from '@tanstack/react-router';
import { z } from 'zod';
import { identifier } from '../protocol/field-operations.js';
import { AuditScreen } from './audit/AuditScreen.js';
import { DispatchScreen } from './dispatch/DispatchScreen.js';
import { FleetScreen } from './fleet/FleetScreen.js';
import { MaintenanceScreen } from './maintenance/MaintenanceScreen.js';
import { Shell, useMe } from './Shell.js';
import { ReviewScreen } from './review/ReviewScreen.js';
import { REVIEW_AGES } from './review/review.js';

/** The console's screens, under /console/ where the office serves it. */
const rootRoute = createRootRoute({ component: Shell });

const HOME_BY_ROLE: Record<string, '/dispatch' | '/review' | '/audit' | '/maintenance'> = { dispatcher: '/dispatch', reviewer: '/review', auditor: '/audit', maintenance: '/maintenance' };

const indexRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/',
  component: function Home() {
    const me = useMe();
    return <Navigate to={HOME_BY_ROLE[me.role] ?? '/dispatch'} replace />;
  },
});

const optionalId = identifier.optional().catch(undefined);

const dispatchRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/dispatch',
  validateSearch: z.object({ siteId: optionalId, status: z.string().max(20).optional().catch(undefined), order: optionalId }),
  component: DispatchScreen,
});

const reviewRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/review',
  validateSearch: z.object({
    siteId: optionalId,
    recordType: optionalId,
    age: z.enum(REVIEW_AGES).optional().catch(undefined),
    item: z.number().int().positive().optional().catch(undefined),
  }),
  component: ReviewScreen,
});

const auditRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/audit',
  validateSearch: z.object({
    type: optionalId,
    id: optionalId,
    operatorId: optionalId,
    deviceId: optionalId,
    unit: z.string().max(40).optional().catch(undefined),
    from: z.number().int().nonnegative().optional().catch(undefined),
    to: z.number().int().nonnegative().optional().catch(undefined),
  }),
  component: AuditScreen,
});

const maintenanceRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/maintenance',
  validateSearch: z.object({ siteId: optionalId, unit: z.string().max(200).optional().catch(undefined) }),
  component: MaintenanceScreen,
});

const fleetRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/fleet',
  validateSearch: z.object({ siteId: optionalId }),
  component: FleetScreen,
});

export const router = createRouter({
  routeTree: rootRoute.addChildren([indexRoute, dispatchRoute, reviewRoute, auditRoute, maintenanceRoute, fleetRoute]),
  basepath: '/console',
});

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
