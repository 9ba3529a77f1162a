import { z } from 'zod';

/**
 * Wire shapes that need no cryptography, in a module that imports none: the office console runs
 * in a browser and parses the office's answers with the same schemas as the server, so the schemas
 * it reaches (records, review, audit, office, events) may import only what a browser can load.
 */
export const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes of lowercase hex');
export const base64Signature = z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'expected a base64 Ed25519 signature');

export const deviceKindSchema = z.enum(['cab', 'kiosk']);
export type DeviceKind = z.infer<typeof deviceKindSchema>;

/** A supervisor works every screen, sees every operator's conflicts, and alone may close a gate kiosk. */
export const operatorRoleSchema = z.enum(['inspector', 'gate-clerk', 'supervisor']);
export type OperatorRole = z.infer<typeof operatorRoleSchema>;

export const MIN_PIN_LENGTH = 4;
export const MAX_PIN_LENGTH = 12;
export const pinLengthSchema = z.number().int().min(MIN_PIN_LENGTH).max(MAX_PIN_LENGTH);
