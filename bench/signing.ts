import { createHash } from 'node:crypto';
import { createSigner, domainMessage, SIGNATURE_DOMAINS, type SignerBackend, verifySignature } from '../protocol/index.js';
import { type Benchmark, figure } from './benchmark.js';
import { measureThroughput, type Throughput } from './stats.js';

/** Enough for a stable figure from node:crypto, and at most a few seconds of tweetnacl. */
const LIMITS = { maxOps: 20_000, budgetMs: 3000 };
const MESSAGES = 256;

/**
 * Ed25519 on its own, per operation, for both backends of the one signer interface, on what the
 * device really signs: a journal entry hash in its signature domain. node:crypto is reported
 * against tweetnacl as the baseline.
 */
export const signingBenchmark: Benchmark = {
  name: 'signing',
  description: 'Ed25519 sign and verify per operation: node:crypto vs tweetnacl',
  run(log) {
    const seed = createHash('sha256').update('bench signing key').digest();
    const messages = Array.from({ length: MESSAGES }, (_, i) =>
      domainMessage(SIGNATURE_DOMAINS.journalEntry, createHash('sha256').update(`entry ${i}`).digest()),
    );
    const signers = { tweetnacl: createSigner(seed, 'tweetnacl'), node: createSigner(seed, 'node') };
    try {
      const signatures = messages.map((message) => signers.node.sign(message));
      // A guard, not a measurement: a few messages show the backends agree byte for byte.
      messages.slice(0, 8).forEach((message, i) => {
        if (!Buffer.from(signers.tweetnacl.sign(message)).equals(signatures[i]!)) {
          throw new Error('tweetnacl and node:crypto signatures differ: the backends are not interchangeable');
        }
      });
      const { publicKey } = signers.node;
      const sign = (backend: SignerBackend): Throughput => {
        log(`signing: sign with ${backend}`);
        return measureThroughput((i) => signers[backend].sign(messages[i % MESSAGES]!), LIMITS);
      };
      const verify = (backend: SignerBackend): Throughput => {
        log(`signing: verify with ${backend}`);
        return measureThroughput((i) => {
          if (!verifySignature(publicKey, messages[i % MESSAGES]!, signatures[i % MESSAGES]!, backend)) throw new Error(`${backend} rejected a valid signature`);
        }, LIMITS);
      };
      const signed = { tweetnacl: sign('tweetnacl'), node: sign('node') };
      const verified = { tweetnacl: verify('tweetnacl'), node: verify('node') };
      return {
        baseline: 'tweetnacl, same key and messages (the ratio is node:crypto / tweetnacl)',
        figures: [
          figure('sign', 'ops/s', signed.node.opsPerSecond, signed.tweetnacl.opsPerSecond),
          figure('verify', 'ops/s', verified.node.opsPerSecond, verified.tweetnacl.opsPerSecond),
          figure('sign per op', 'ms', msPerOp(signed.node), msPerOp(signed.tweetnacl)),
          figure('verify per op', 'ms', msPerOp(verified.node), msPerOp(verified.tweetnacl)),
        ],
        details: { signed, verified, messageBytes: messages[0]!.length },
      };
    } finally {
      signers.tweetnacl.destroy();
      signers.node.destroy();
    }
  },
};

function msPerOp(throughput: Throughput): number {
  return throughput.ms / throughput.ops;
}
