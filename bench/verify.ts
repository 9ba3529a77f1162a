import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { canonicalBytes, type JournalEntry, verifyChain } from '../protocol/index.js';
import { tempDir } from '../test/support/device.js';
import { type Benchmark, figure } from './benchmark.js';
import { summarize, timeMs } from './stats.js';
import { openGateWorkload } from './workload.js';

const ENTRIES = 10_000;
const REPEATS = 5;

/**
 * Chain verification throughput: the shared verifier (schema, sequence, links, hashes, session
 * certificates, node:crypto signatures) over a real device journal, against nothing but SHA-256 of
 * the same canonical bodies.
 */
export const verifyBenchmark: Benchmark = {
  name: 'verify',
  description: `verifyChain over ${ENTRIES.toLocaleString('en-US')} journal entries`,
  run(log) {
    const dir = tempDir('waypost-bench-verify-');
    try {
      log(`verify: writing ${ENTRIES} entries through the write path`);
      const workload = openGateWorkload(dir);
      const { core } = workload.device;
      const device = { deviceId: core.deviceId, devicePublicKey: core.devicePublicKey.slice() };
      let entries: JournalEntry[];
      try {
        for (let i = 0, seq = 0; seq < ENTRIES; i++) seq = workload.perform(i).seq;
        entries = core.journal({ toSeq: ENTRIES });
      } finally {
        core.close();
      }
      const bodies = entries.map((entry) => canonicalBytes(entry.body));

      log(`verify: ${REPEATS} rounds, interleaved with the hashing baseline`);
      const verifyMs: number[] = [];
      const hashMs: number[] = [];
      for (let round = 0; round < REPEATS; round++) {
        verifyMs.push(
          timeMs(() => {
            const verdict = verifyChain(device, { entries });
            if (!verdict.ok) throw new Error(`the benchmark chain does not verify: ${verdict.failure.message}`);
          }),
        );
        hashMs.push(timeMs(() => bodies.forEach((body) => createHash('sha256').update(body).digest('hex'))));
      }
      const verified = summarize(verifyMs);
      const hashed = summarize(hashMs);
      const perSecond = (ms: number): number => (entries.length / ms) * 1000;
      return {
        baseline: 'SHA-256 of the same canonical entry bodies, nothing else (the ratio is verify / hash)',
        figures: [figure('throughput (median round)', 'entries/s', perSecond(verified.p50), perSecond(hashed.p50))],
        details: {
          entries: entries.length,
          sessions: entries.filter((entry) => entry.body.kind === 'session.open').length,
          verifyRoundMs: verified,
          hashRoundMs: hashed,
          meanBodyBytes: bodies.reduce((sum, body) => sum + body.length, 0) / bodies.length,
        },
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
