import { z } from 'zod';
import { identifier, operationListSchema, recordActionSchema, requireOperationsUnlessSubmit } from './field-operations.js';
import { RECORD_TYPE_NAMES, type RecordType } from './records/index.js';

export * from './field-operations.js';

/**
 * The shape of one user action: which record, which action, which field operations. Pure (zod
 * only, no Node), because three parties parse it: the renderer builds it, the device core validates
 * it again before its write path (the renderer is not trusted), and journal entries carry its ops.
 */
export const recordTypeSchema = z.enum(RECORD_TYPE_NAMES as [RecordType, ...RecordType[]]);

export const actionInputSchema = z
  .strictObject({
    recordType: recordTypeSchema,
    /** Omitted on create: the core assigns one. */
    recordId: identifier.optional(),
    action: recordActionSchema,
    ops: operationListSchema,
  })
  .superRefine(requireOperationsUnlessSubmit);
export type ActionInput = z.infer<typeof actionInputSchema>;
