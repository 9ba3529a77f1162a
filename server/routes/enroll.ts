import type { FastifyInstance } from 'fastify';
import { publicKeyProblem } from '../../protocol/crypto/ed25519.js';
import { ZERO_HASH, bytesToHex, hexToBytes } from '../../protocol/crypto/hash.js';
import {
  CURRENT_SCHEMA_VERSION,
  MINIMUM_SCHEMA_VERSION,
  enrollRequestSchema,
  verifyEnrollmentProof,
  type EnrollResponse,
} from '../../protocol/wire.js';
import type { ServiceContext } from '../context.js';
import { parseWith, schemaVersionOfBody } from '../requests.js';
import { hashSecret, newSecret } from '../auth.js';
import { findDevice, findSite, insertDevice, lockEnrollmentToken, markEnrollmentTokenUsed } from '../db/queries/identity.js';
import { ApiFailure } from '../errors.js';
import { upgradeRequest } from '../sync/upgrade.js';

/**
 * Device enrollment: a device presents a one-time token an admin issued for a site, its chosen id
 * and its identity public key, signed with that key. It gets a bearer credential and the key that
 * signs its receipts. The token is spent in the same transaction that registers the device.
 */
export function registerEnrollmentRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.post('/v1/enroll', async (request, reply) => {
    const clientVersion = schemaVersionOfBody(request.body);
    const { claim, proof, label } = parseWith(enrollRequestSchema, upgradeRequest('enroll', request.body, clientVersion));
    // Before the proof, which would refuse such a key too but only as a bad proof: the device hears the real reason.
    const keyProblem = publicKeyProblem(hexToBytes(claim.publicKey));
    if (keyProblem) {
      throw new ApiFailure(400, 'weak-public-key', `the device public key ${keyProblem}; it cannot identify a device (generate a new device key)`);
    }
    if (!verifyEnrollmentProof(claim, proof)) {
      throw new ApiFailure(400, 'bad-enrollment-proof', 'the proof is not a signature of this claim by the key being registered');
    }
    const now = context.clock.now();
    const credential = newSecret(context.random, 'device');

    const enrolled = await context.database.db.transaction(async (tx) => {
      const token = await lockEnrollmentToken(tx, hashSecret(claim.token));
      if (!token) throw new ApiFailure(401, 'enrollment-token-invalid', 'unknown enrollment token; ask an administrator for a new one');
      if (token.usedAt !== null) throw new ApiFailure(401, 'enrollment-token-used', 'this enrollment token was already used; each token enrolls one device');
      if (token.expiresAt <= now) throw new ApiFailure(401, 'enrollment-token-expired', 'this enrollment token has expired; ask an administrator for a new one');
      if (token.kind !== claim.kind) {
        throw new ApiFailure(400, 'enrollment-kind-mismatch', `this token enrolls a ${token.kind} device, not a ${claim.kind}`);
      }
      const existing = await findDevice(tx, claim.deviceId);
      if (existing?.revokedAt != null) throw new ApiFailure(403, 'device-revoked', `device ${claim.deviceId} was revoked and cannot enroll again`);
      if (existing) throw new ApiFailure(409, 'device-already-enrolled', `device ${claim.deviceId} is already enrolled`);
      const site = await findSite(tx, token.siteId);
      if (!site) throw new Error(`enrollment token names missing site ${token.siteId}`);
      await insertDevice(tx, {
        id: claim.deviceId,
        siteId: site.id,
        kind: claim.kind,
        label: label ?? null,
        publicKey: claim.publicKey,
        credentialHash: hashSecret(credential),
        enrolledAt: now,
        chainHead: ZERO_HASH,
      });
      await markEnrollmentTokenUsed(tx, token.tokenHash, claim.deviceId, now);
      return site;
    });

    request.log.info({ deviceId: claim.deviceId, siteId: enrolled.id, kind: claim.kind }, 'device enrolled');
    const response: EnrollResponse = {
      deviceId: claim.deviceId,
      kind: claim.kind,
      siteId: enrolled.id,
      organisationId: enrolled.organisationId,
      credential,
      serverPublicKey: bytesToHex(context.serverSigner.publicKey),
      schema: { minimum: MINIMUM_SCHEMA_VERSION, current: CURRENT_SCHEMA_VERSION },
    };
    return reply.status(201).send(response);
  });
}
