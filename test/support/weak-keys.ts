import type { Signer } from '../../protocol/crypto/ed25519.js';
import { signCertificate } from '../../protocol/journal.js';
import { TestChain } from './chain-fixtures.js';

/** The Ed25519 identity point (x = 0, y = 1), canonically encoded: a public key of small order. */
export const IDENTITY_POINT: Uint8Array = Uint8Array.of(1, ...new Uint8Array(31));

/**
 * A "signer" for a weak key (by default the identity point) whose every signature is R = identity,
 * S = 0: the forgery of the outside attack. Under the identity point, node:crypto and tweetnacl
 * alone accept it for any message.
 */
export function smallOrderSigner(publicKey: Uint8Array = IDENTITY_POINT): Signer {
  return {
    publicKey,
    backend: 'node',
    sign: () => Uint8Array.of(...IDENTITY_POINT, ...new Uint8Array(32)),
    destroy: () => {},
    destroyed: false,
  };
}

/**
 * A device journal whose session is certified, by the genuine device key, for the identity point:
 * session.open then `records` notes, each "signed" by smallOrderSigner. Anyone could have signed
 * these entries; every verifier must refuse the certificate.
 */
export function forgedSessionChain(deviceId: string, records = 2): TestChain {
  const chain = new TestChain(deviceId);
  const session = { ...chain.newSession('op-ines'), signer: smallOrderSigner() };
  chain.append({ kind: 'session.open', certificate: signCertificate(chain.certificateFor(session), chain.deviceSigner) }, { session });
  chain.session = session;
  for (let i = 0; i < records; i++) chain.record({ recordId: `note-${deviceId}-forged-${i}` });
  return chain;
}
