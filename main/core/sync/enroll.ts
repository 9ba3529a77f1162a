import type { DeviceDb } from '../../../db/open.js';
import { writeSyncValue } from '../../../db/queries/sync.js';
import { publicKeyProblem, type Signer } from '../../../protocol/crypto/ed25519.js';
import { bytesToHex, hexToBytes } from '../../../protocol/crypto/hash.js';
import {
  CURRENT_SCHEMA_VERSION,
  type DeviceKind,
  enrollmentClaimSchema,
  enrollResponseSchema,
  signEnrollmentClaim,
} from '../../../protocol/wire.js';
import type { Clock } from '../ports.js';
import { callOffice, deviceHeaders } from './api.js';
import { SyncError } from './errors.js';
import { type EnrollmentInfo, publicEnrollment, readEnrollment, type StoredEnrollment } from './state.js';
import type { SyncTransport } from './transport.js';

export interface EnrollOptions {
  transport: SyncTransport;
  /** The one-time token an administrator issued for this device's site. */
  token: string;
  kind: DeviceKind;
  /** A name the office shows for the device (e.g. "Truck 12 toughbook"). */
  label?: string;
}

export interface EnrollDeps {
  db: DeviceDb;
  deviceId: string;
  deviceSigner: Signer;
  clock: Clock;
}

/**
 * Registers this device's identity key with the office. The claim is signed with the device key,
 * proving the device holds the key it registers; the credential and the key that signs anchor
 * receipts are kept in the encrypted device database.
 */
export async function enrollDevice(deps: EnrollDeps, options: EnrollOptions): Promise<EnrollmentInfo> {
  const { db, deviceId, deviceSigner, clock } = deps;
  const existing = readEnrollment(db);
  if (existing) {
    throw new SyncError('already-enrolled', `this device is already enrolled with site ${existing.siteId}; it keeps its enrollment`, false);
  }
  const claim = enrollmentClaimSchema.safeParse({ token: options.token.trim(), deviceId, publicKey: bytesToHex(deviceSigner.publicKey), kind: options.kind });
  if (!claim.success) {
    throw new SyncError('invalid-request', `this is not an enrollment token (${claim.error.issues[0]?.path.join('.')}: ${claim.error.issues[0]?.message})`, false);
  }
  const request = {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    claim: claim.data,
    proof: signEnrollmentClaim(claim.data, deviceSigner),
    ...(options.label ? { label: options.label } : {}),
  };
  const response = await callOffice(options.transport, '/v1/enroll', request, enrollResponseSchema, deviceHeaders(null));
  if (response.deviceId !== deviceId || response.kind !== options.kind) {
    throw new SyncError('bad-response', `the office enrolled ${response.kind} ${response.deviceId}, not this ${options.kind} ${deviceId}`, false);
  }
  // Every receipt is checked with this key from now on; under a small-order key anyone could forge them.
  const serverKeyProblem = publicKeyProblem(hexToBytes(response.serverPublicKey));
  if (serverKeyProblem) {
    throw new SyncError('bad-response', `the office's receipt key ${serverKeyProblem}; this device did not keep the enrollment`, false);
  }
  const enrollment: StoredEnrollment = {
    deviceId,
    kind: response.kind,
    siteId: response.siteId,
    organisationId: response.organisationId,
    credential: response.credential,
    serverPublicKey: response.serverPublicKey,
    enrolledAt: clock.now(),
  };
  writeSyncValue(db, 'enrollment', enrollment);
  return publicEnrollment(enrollment);
}
