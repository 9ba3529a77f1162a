import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { RECORD_TYPES, type RecordType } from '../../protocol/records/index.js';
import type { DeviceSummary, SyncHealth } from '../../protocol/wire/office.js';
import { errorMessage } from '../api.js';
import { formatDateTime } from '../format.js';
import { conflictRatesQuery, syncHealthQuery } from '../queries.js';
import { clockOffsetDistribution, deepestQueues, lastSyncDistribution } from './kpis.js';

const INK = '#17212b';
const PRIMARY = '#1d4f91';
const WARN = '#8a5a00';
const ERROR = '#a4221b';
const TEAL = '#1e6b6b';

/** The field KPIs: conflict rates from the office's decisions, and the fleet's clocks, syncs and queues from the device list. */
export function FleetCharts({ devices, now, siteId }: { devices: readonly DeviceSummary[]; now: number; siteId: string | undefined }) {
  const conflicts = useQuery(conflictRatesQuery(siteId));
  const rates = (conflicts.data?.rates ?? []).map((rate) => ({
    ...rate,
    name: `${RECORD_TYPES[rate.recordType as RecordType]?.label ?? rate.recordType} · ${rate.policy}`,
  }));
  const queues = deepestQueues(devices, 15);
  const history = useQuery(syncHealthQuery(siteId));
  const steps = (history.data?.buckets ?? []).map((bucket) => ({
    ...bucket,
    time: timeOfDay(bucket.at),
    convergedSP50: seconds(bucket.convergedMsP50),
    convergedSP95: seconds(bucket.convergedMsP95),
  }));
  return (
    <section className="panel" aria-label="Field KPIs">
      <h2>Field KPIs</h2>
      <div className="charts">
        <figure className="chart" aria-label="Conflicts per 1,000 edits by record type and policy">
          <figcaption>
            Conflicts per 1,000 edits, by record type and policy
            {conflicts.data ? <span className="muted small"> · since {formatDateTime(conflicts.data.since)}</span> : null}
          </figcaption>
          {conflicts.isError ? <p role="alert" className="error">{errorMessage(conflicts.error)}</p> : null}
          {conflicts.data && rates.length === 0 ? <p className="muted">No edits reached the office in this window.</p> : null}
          {rates.length > 0 ? (
            <ResponsiveContainer width="100%" height={Math.max(160, 36 * rates.length + 40)}>
              <BarChart data={rates} layout="vertical" margin={{ left: 8, right: 16 }}>
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis type="number" stroke={INK} />
                <YAxis type="category" dataKey="name" width={190} stroke={INK} tick={{ fontSize: 12 }} />
                <Tooltip formatter={(value, _name, item) => [`${String(value)} per 1,000 (${item.payload.conflicts} of ${item.payload.edits} edits)`, 'Conflicts']} />
                <Bar dataKey="perThousand" name="Conflicts per 1,000 edits" fill={PRIMARY} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          ) : null}
        </figure>
        <figure className="chart" aria-label="Queue depth over time">
          <figcaption>Queue depth over time, as devices told it with their pulls</figcaption>
          {history.isError ? <p role="alert" className="error">{errorMessage(history.error)}</p> : null}
          {history.data && steps.length === 0 ? <p className="muted">No device has reported in this window.</p> : null}
          {steps.length > 0 ? (
            <ResponsiveContainer width="100%" height={220}>
              <LineChart data={steps}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="time" stroke={INK} tick={{ fontSize: 12 }} />
                <YAxis allowDecimals={false} stroke={INK} />
                <Tooltip />
                <Legend />
                <Line type="monotone" dataKey="pendingMean" name="Mean waiting per device" stroke={PRIMARY} dot={false} isAnimationActive={false} />
                <Line type="monotone" dataKey="pendingMax" name="Deepest queue" stroke={ERROR} dot={false} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          ) : null}
        </figure>
        <PercentileChart label="Pull latency over time" caption="Office time to answer a pull (ms)" steps={steps} of="pull" empty="No pulls in this window." />
        <PercentileChart label="Push latency over time" caption="Push round trip as devices measured it, link included (ms)" steps={steps} of="push" empty="No device told its push time in this window." />
        <PercentileChart
          label="Time from reconnect to converged"
          caption="From a device's first sync after a dead zone to its queue sent and the feed pulled (s)"
          steps={steps}
          of="converged"
          empty="No device reconnected in this window."
        />
        <figure className="chart" aria-label="Clock offset of devices">
          <figcaption>Clock offset the office found, devices in service</figcaption>
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={clockOffsetDistribution(devices)}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" stroke={INK} tick={{ fontSize: 12 }} />
              <YAxis allowDecimals={false} stroke={INK} />
              <Tooltip />
              <Legend />
              <Bar dataKey="ahead" name="Clock ahead" stackId="offset" fill={WARN} isAnimationActive={false} />
              <Bar dataKey="behind" name="Clock behind" stackId="offset" fill={TEAL} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </figure>
        <figure className="chart" aria-label="Time since last sync">
          <figcaption>Time since each device last synced</figcaption>
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={lastSyncDistribution(devices, now)}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" stroke={INK} tick={{ fontSize: 12 }} />
              <YAxis allowDecimals={false} stroke={INK} />
              <Tooltip />
              <Bar dataKey="devices" name="Devices" fill={PRIMARY} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </figure>
        <figure className="chart" aria-label="Queue depth by device">
          <figcaption>Deepest queues, as each device last told</figcaption>
          {queues.length === 0 ? (
            <p className="muted">No device has entries waiting.</p>
          ) : (
            <ResponsiveContainer width="100%" height={Math.max(160, 30 * queues.length + 60)}>
              <BarChart data={queues} layout="vertical" margin={{ left: 8, right: 16 }}>
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis type="number" allowDecimals={false} stroke={INK} />
                <YAxis type="category" dataKey="device" width={120} stroke={INK} tick={{ fontSize: 12 }} />
                <Tooltip />
                <Legend />
                <Bar dataKey="waiting" name="Waiting to send" stackId="queue" fill={PRIMARY} isAnimationActive={false} />
                <Bar dataKey="rejected" name="Rejected" stackId="queue" fill={ERROR} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          )}
        </figure>
      </div>
    </section>
  );
}

/** A time step's start as the chart's axis shows it: day and hour, in the browser's zone. */
function timeOfDay(epochMs: number): string {
  return new Date(epochMs).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' });
}

type Step = SyncHealth['buckets'][number] & { time: string; convergedSP50: number | null; convergedSP95: number | null };
const PERCENTILES = {
  pull: ['pullMsP50', 'pullMsP95'],
  push: ['pushMsP50', 'pushMsP95'],
  converged: ['convergedSP50', 'convergedSP95'],
} as const satisfies Record<string, readonly [keyof Step, keyof Step]>;

/** p50 and p95 of one of the sync times per time step; steps where no device told it are gaps, not zeros. */
function PercentileChart({ label, caption, steps, of, empty }: { label: string; caption: string; steps: readonly Step[]; of: keyof typeof PERCENTILES; empty: string }) {
  const [p50, p95] = PERCENTILES[of];
  const told = steps.some((step) => step[p50] !== null);
  return (
    <figure className="chart" aria-label={label}>
      <figcaption>{caption}</figcaption>
      {told ? (
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={[...steps]}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="time" stroke={INK} tick={{ fontSize: 12 }} />
            <YAxis stroke={INK} />
            <Tooltip />
            <Legend />
            <Line type="monotone" dataKey={p50} name="p50" stroke={TEAL} dot={false} isAnimationActive={false} />
            <Line type="monotone" dataKey={p95} name="p95" stroke={WARN} dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      ) : (
        <p className="muted">{empty}</p>
      )}
    </figure>
  );
}

function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms / 100) / 10;
}

