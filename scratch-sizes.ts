import { writeFileSync } from 'node:fs';
import type { SyncTransport } from './main/core/sync/transport.js';
import { INSPECTOR } from './test/support/device.js';
import { performInspection } from './test/support/inspection.js';
import { SyncWorld } from './test/sync/support/world.js';

const world = await SyncWorld.start();
const captured: { path: string; body: string; answer: string }[] = [];
const spy = (inner: SyncTransport): SyncTransport => ({
  async post(path, body, headers, options) {
    const answer = await inner.post(path, body, headers, options);
    captured.push({ path, body: JSON.stringify(body), answer: JSON.stringify(answer.body) });
    return answer;
  },
  events: (p, h, x) => inner.events(p, h, x),
} as SyncTransport);
const a = await world.addDevice('cab-a', { transport: spy });
const b = await world.addDevice('cab-b', { transport: spy });
for (const d of [a, b]) {
  d.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
  for (let i = 0; i < 80; i++) performInspection(d.core as any, i, { signatureSeed: d.name + i, now: () => world.clock.now() });
}
captured.length = 0;
await a.client.sync();
await b.client.sync();
await a.client.sync();
writeFileSync('/tmp/scr/captured.json', JSON.stringify(captured));
console.log(captured.map((c) => `${c.path} ${c.body.length} ${c.answer.length}`).join('\n'));
await world.close();
