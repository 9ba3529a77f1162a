import { z } from 'zod';
import { canonicalBytes } from '../canonical.js';
import { SIGNATURE_DOMAINS, type Signer, type SignerBackend, signInDomain, verifyInDomain } from '../crypto/ed25519.js';
import { base64ToBytes, bytesToBase64, hexToBytes } from '../crypto/hash.js';
import { identifier } from '../field-operations.js';
import { base64Signature, deviceKindSchema, hex32 } from './shapes.js';
import { text } from '../text.js';
import { schemaVersionSchema } from './versions.js';

/** Enrollment. */
export { deviceKindSchema, type DeviceKind } from './shapes.js';

/** What the device signs with its identity key to prove it holds the key it registers. */
export const enrollmentClaimSchema = z.strictObject({
  token: z.string().min(16).max(200),
  deviceId: identifier,
  publicKey: hex32,
  kind: deviceKindSchema,
});
export type EnrollmentClaim = z.infer<typeof enrollmentClaimSchema>;

export const enrollRequestSchema = z.strictObject({
  schemaVersion: schemaVersionSchema,
  claim: enrollmentClaimSchema,
  /** Signature of the canonical claim in the enrollment domain, by the device identity key. */
  proof: base64Signature,
  label: text().trim().min(1).max(200).optional(),
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

export const enrollResponseSchema = z.strictObject({
  deviceId: identifier,
  kind: deviceKindSchema,
  siteId: identifier,
  organisationId: identifier,
  /** Bearer credential for every later request. Shown once; the server keeps only its hash. */
  credential: z.string().min(16).max(200),
  /** The key that signs anchor receipts (hex Ed25519 public key). */
  serverPublicKey: hex32,
  schema: z.strictObject({ minimum: z.number().int(), current: z.number().int() }),
});
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

export function signEnrollmentClaim(claim: EnrollmentClaim, deviceSigner: Signer): string {
  return bytesToBase64(signInDomain(deviceSigner, SIGNATURE_DOMAINS.enrollment, canonicalBytes(claim)));
}

export function verifyEnrollmentProof(claim: EnrollmentClaim, proof: string, backend?: SignerBackend): boolean {
  return verifyInDomain(hexToBytes(claim.publicKey), SIGNATURE_DOMAINS.enrollment, canonicalBytes(claim), base64ToBytes(proof), backend);
}
