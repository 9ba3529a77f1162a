import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useState, type FormEvent, type ReactNode } from 'react';
import { policyOf, RECORD_TYPES, RECORD_TYPE_NAMES, recordTypeSpec } from '../../protocol/records/index.js';
import type { HistoryWrite } from '../../protocol/wire/audit.js';
import { type ReviewChoice, type ReviewItem, resolvedReviewItemSchema } from '../../protocol/wire/review.js';
import { errorMessage, request } from '../api.js';
import { formatDateTime, formatDuration, formatValue } from '../format.js';
import { directoryQuery, historyQuery, OFFICE, recordQuery, reviewQueueQuery } from '../queries.js';
import { allowed, useMe } from '../Shell.js';
import { SiteFilter } from '../SiteFilter.js';
import { PhotoList } from './ReviewPhotos.js';
import { attachmentValue, competingVersions, differingFields, parseMergedValue, recordAttachments, REVIEW_AGES, type Side, versionAttachments, waitingAtLeast } from './review.js';

const AGE_LABEL = { '1h': 'Waiting over 1 hour', '24h': 'Waiting over 24 hours', '7d': 'Waiting over 7 days' } as const;

/** Conflicts that need a person, oldest first, updating live; each decided with a reason. */
export function ReviewScreen() {
  const search = useSearch({ from: '/review' });
  const navigate = useNavigate({ from: '/review' });
  const directory = useQuery(directoryQuery);
  const queue = useQuery(reviewQueueQuery({ siteId: search.siteId, recordType: search.recordType }));
  const [now] = useState(() => Date.now());
  const items = queue.data ? waitingAtLeast(queue.data.items, search.age, now) : [];
  const selected = items.find((item) => item.id === search.item);
  const [decided, setDecided] = useState<string | null>(null);

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Review queue</h1>
        <div className="filters" role="search" aria-label="Filter the review queue">
          <SiteFilter value={search.siteId} onChange={(siteId) => void navigate({ search: (prev) => ({ ...prev, siteId }) })} />
          <label>
            Record type
            <select value={search.recordType ?? ''} onChange={(event) => void navigate({ search: (prev) => ({ ...prev, recordType: event.target.value || undefined }) })}>
              <option value="">All types</option>
              {RECORD_TYPE_NAMES.map((type) => (
                <option key={type} value={type}>
                  {RECORD_TYPES[type].label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Age
            <select value={search.age ?? ''} onChange={(event) => void navigate({ search: (prev) => ({ ...prev, age: (event.target.value || undefined) as typeof prev.age }) })}>
              <option value="">Any age</option>
              {REVIEW_AGES.map((age) => (
                <option key={age} value={age}>
                  {AGE_LABEL[age]}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      {decided ? (
        <p role="status" className="ok">
          {decided}
        </p>
      ) : null}
      <div className="split">
        <section aria-label="Waiting for review" className="list-pane">
          {queue.isError ? <p role="alert" className="error">{errorMessage(queue.error)}</p> : null}
          {queue.data && items.length === 0 ? <p className="muted">Nothing waits for review.</p> : null}
          <ol className="queue">
            {items.map((item) => (
              <li key={item.id} className={item.id === search.item ? 'selected' : undefined}>
                <button type="button" className="queue-item" aria-current={item.id === search.item} onClick={() => void navigate({ search: (prev) => ({ ...prev, item: item.id }) })}>
                  <strong>
                    {recordTypeSpec(item.recordType)?.label ?? item.recordType} {item.recordId}
                  </strong>
                  <span>
                    {item.field === '*' ? 'edited after delete' : item.field} · {directory.data?.sites.find((site) => site.id === item.siteId)?.name ?? item.siteId}
                  </span>
                  <span className="muted small">waiting {formatDuration(Math.max(0, now - item.createdAt))}</span>
                </button>
              </li>
            ))}
          </ol>
        </section>
        {selected ? (
          <ReviewDetail
            key={selected.id}
            item={selected}
            onDecided={(message) => {
              setDecided(message);
              void navigate({ search: (prev) => ({ ...prev, item: undefined }) });
            }}
          />
        ) : (
          <p className="muted detail-pane">Choose an item to compare its versions.</p>
        )}
      </div>
    </div>
  );
}

function ReviewDetail({ item, onDecided }: { item: ReviewItem; onDecided: (message: string) => void }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const canDecide = allowed(me.role, 'resolveReviews');
  const canReadHistory = allowed(me.role, 'readAudit');
  const record = useQuery(recordQuery(item.recordType, item.recordId));
  const history = useQuery({ ...historyQuery(item.recordType, item.recordId), enabled: canReadHistory });
  const [choice, setChoice] = useState<ReviewChoice>('current');
  const [merged, setMerged] = useState(() => (typeof item.current === 'string' ? item.current : JSON.stringify(item.current ?? null)));
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const resolve = useMutation({
    mutationFn: (body: unknown) => request('POST', `/v1/office/review-items/${item.id}/resolve`, resolvedReviewItemSchema, { body }),
    onSuccess: (answer) => {
      void queryClient.invalidateQueries({ queryKey: [OFFICE] });
      onDecided(`Decided: ${item.recordType} ${item.recordId} ${item.field} kept ${formatValue(answer.item.decision?.value)}${answer.item.decision?.version ? ` (version ${answer.item.decision.version}, on its way to the devices)` : ''}.`);
    },
  });
  const versions = history.data ? competingVersions(item, history.data) : null;
  const current = versions?.current ?? { value: item.current, write: null };
  const proposed = versions?.proposed ?? { value: item.proposed, write: null };
  const currentPhotos = versionAttachments(item, current, history.data);
  const proposedPhotos = versionAttachments(item, proposed, history.data);
  const shown = new Set([...currentPhotos, ...proposedPhotos].map((photo) => photo.sha256));
  const otherPhotos = record.data ? recordAttachments(item.recordType, record.data.fields).filter((photo) => !shown.has(photo.sha256)) : [];
  const different = differingFields(item.field, item.current, item.proposed);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    let value: unknown;
    if (choice === 'merged') {
      const parsed = parseMergedValue(item.recordType, item.field, merged);
      if (!parsed.ok) return setProblem(parsed.message);
      value = parsed.value;
    }
    resolve.mutate({ choice, ...(choice === 'merged' ? { value } : {}), reason, expectedVersion: record.data?.version });
  };
  return (
    <section className="panel detail-pane" aria-label={`Review item ${item.id}`}>
      <h2>
        {recordTypeSpec(item.recordType)?.label ?? item.recordType} {item.recordId}: {item.field === '*' ? 'edited after it was deleted' : item.field}
      </h2>
      <p className="muted small">
        Filed {formatDateTime(item.createdAt)} · policy {policyOf(item.recordType, item.field)} · {item.reason}
      </p>
      <p>Differs in: {different.join(', ') || 'nothing (the same value)'}</p>
      <div className="versions">
        <Version title="In place (current)" recordType={item.recordType} field={item.field} side={current} loading={history.isPending && canReadHistory}>
          <PhotoList itemId={item.id} owner="In place" attachments={currentPhotos} />
        </Version>
        <Version title="Proposed" recordType={item.recordType} field={item.field} side={proposed} loading={history.isPending && canReadHistory}>
          <PhotoList itemId={item.id} owner="Proposed" attachments={proposedPhotos} />
        </Version>
      </div>
      {otherPhotos.length > 0 ? (
        <section aria-label="Other photos on the record">
          <h3>Other photos on the record</h3>
          <PhotoList itemId={item.id} owner="On the record" attachments={otherPhotos} />
        </section>
      ) : null}
      {canDecide ? (
        <form onSubmit={submit} aria-label="Decision">
          <fieldset>
            <legend>Keep</legend>
            {(
              [
                ['current', 'The value in place'],
                ['proposed', 'The proposed value'],
                ['merged', 'A merged value'],
              ] as const
            ).map(([value, label]) => (
              <label key={value} className="choice">
                <input type="radio" name="choice" value={value} checked={choice === value} onChange={() => setChoice(value)} />
                {label}
              </label>
            ))}
          </fieldset>
          {choice === 'merged' ? (
            <label>
              Merged value
              <input type="text" value={merged} onChange={(event) => setMerged(event.target.value)} />
            </label>
          ) : null}
          <label>
            Reason
            <textarea required rows={2} value={reason} onChange={(event) => setReason(event.target.value)} />
          </label>
          {problem ? <p role="alert" className="error">{problem}</p> : null}
          {resolve.isError ? <p role="alert" className="error">{errorMessage(resolve.error)}</p> : null}
          <button type="submit" disabled={resolve.isPending || !reason.trim()}>
            Decide
          </button>
        </form>
      ) : (
        <p className="muted">Only reviewers decide.</p>
      )}
    </section>
  );
}

function Version({ title, recordType, field, side, loading, children }: { title: string; recordType: string; field: string; side: Side; loading: boolean; children: ReactNode }) {
  const write = side.write;
  // A signature's value is its file's hash: the image below says more; the hash's start tells the two apart in the history.
  const image = attachmentValue(recordType, field, side.value);
  return (
    <article className="version" aria-label={title}>
      <h3>{title}</h3>
      <pre className="value" title={image ?? undefined}>
        {image ? `Image ${image.slice(0, 8)}… (below)` : formatValue(side.value)}
      </pre>
      {write ? <Authorship write={write} /> : <p className="muted small">{loading ? 'Loading who wrote it…' : 'No write of this value on record.'}</p>}
      {children}
    </article>
  );
}

/** Who made a write, where and when: what a reviewer weighs. */
export function Authorship({ write }: { write: HistoryWrite }) {
  const { author } = write;
  const directory = useQuery(directoryQuery);
  const label = directory.data?.devices.find((device) => device.id === author.deviceId)?.label;
  return (
    <dl className="authorship small">
      <dt>Who</dt>
      <dd>{author.origin === 'field' ? (author.operatorName ?? author.operatorId) : `${author.userName ?? author.userId} (office)`}</dd>
      {author.deviceId ? (
        <>
          <dt>Device</dt>
          <dd>
            {label ? `${label} · ` : ''}
            <span className="mono">{author.deviceId}</span>
            {author.seq ? ` entry #${author.seq}` : ''}
          </dd>
        </>
      ) : null}
      {author.deviceTime !== null ? (
        <>
          <dt>Device time</dt>
          <dd>{formatDateTime(author.deviceTime)}</dd>
        </>
      ) : null}
      <dt>Office time</dt>
      <dd>{formatDateTime(author.receivedAt)}</dd>
      {write.gapMs !== null ? (
        <>
          <dt>Gap</dt>
          <dd>
            {formatDuration(write.gapMs)}
            {write.skewFlagged ? ' (clock implausible: ordered by receipt)' : ''}
          </dd>
        </>
      ) : null}
    </dl>
  );
}
