import { z } from 'zod';
import { canonicalBytes } from './canonical.js';
import { SIGNATURE_DOMAINS, signInDomain, verifyInDomain, type Signer, type SignerBackend } from './crypto/ed25519.js';
import { base64ToBytes, bytesToBase64 } from './crypto/hash.js';
import { base64Signature, hex32, identifier, JOURNAL_FORMAT_VERSION, signedCertificateSchema } from './journal.js';

/**
 * A checkpoint replaces a run of acknowledged journal entries on the device. It keeps what is needed
 * to go on verifying the chain after them (head, session in force) and what is needed to prove the
 * folded entries later (Merkle root of their hashes; the office holds the entries themselves).
 */
export const checkpointManifestSchema = z.strictObject({
  v: z.literal(JOURNAL_FORMAT_VERSION),
  deviceId: identifier,
  fromSeq: z.number().int().positive(),
  toSeq: z.number().int().positive(),
  prevHead: hex32,
  head: hex32,
  merkleRoot: hex32,
  /**
   * The device's state hash (state-hash.ts) when it folded: its synced records inside its retention
   * window, which the office computes over its own copies of the same records to compare.
   */
  stateHash: hex32,
  /** The session in force after toSeq, so later entries of that session still verify. */
  session: z.strictObject({ certificate: signedCertificateSchema, closed: z.boolean() }).nullable(),
  createdAt: z.number().int().nonnegative(),
});
export type CheckpointManifest = z.infer<typeof checkpointManifestSchema>;

export const signedCheckpointSchema = z.strictObject({ manifest: checkpointManifestSchema, signature: base64Signature });
export type SignedCheckpoint = z.infer<typeof signedCheckpointSchema>;

export function signCheckpoint(manifest: CheckpointManifest, deviceSigner: Signer): SignedCheckpoint {
  const signature = signInDomain(deviceSigner, SIGNATURE_DOMAINS.checkpoint, canonicalBytes(manifest));
  return { manifest, signature: bytesToBase64(signature) };
}

export function verifyCheckpointSignature(
  checkpoint: SignedCheckpoint,
  devicePublicKey: Uint8Array,
  backend?: SignerBackend,
): boolean {
  return verifyInDomain(
    devicePublicKey,
    SIGNATURE_DOMAINS.checkpoint,
    canonicalBytes(checkpoint.manifest),
    base64ToBytes(checkpoint.signature),
    backend,
  );
}
