import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { RECORD_TYPES, type RecordType } from '../../protocol/records/index.js';
import type { DeviceSummary } from '../../protocol/wire/office.js';
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
  const steps = (history.data?.buckets ?? []).map((bucket) => ({ ...bucket, time: timeOfDay(bucket.at) }));
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
        <figure className="chart" aria-label="Pull latency over time">
          <figcaption>Office time to answer a pull (ms)</figcaption>
          {steps.length > 0 ? (
            <ResponsiveContainer width="100%" height={220}>
              <LineChart data={steps}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="time" stroke={INK} tick={{ fontSize: 12 }} />
                <YAxis stroke={INK} />
                <Tooltip />
                <Legend />
                <Line type="monotone" dataKey="pullMsP50" name="p50" stroke={TEAL} dot={false} isAnimationActive={false} />
                <Line type="monotone" dataKey="pullMsP95" name="p95" stroke={WARN} dot={false} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          ) : (
            <p className="muted">No pulls in this window.</p>
          )}
        </figure>
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
