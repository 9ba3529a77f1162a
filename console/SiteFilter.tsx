import { useQuery } from '@tanstack/react-query';
import { directoryQuery } from './queries.js';

/** The "Site" choice the screens filter by: every site of the organisation, or one of them. */
export function SiteFilter({ value, onChange }: { value: string | undefined; onChange: (siteId: string | undefined) => void }) {
  const directory = useQuery(directoryQuery);
  return (
    <label>
      Site
      <select value={value ?? ''} onChange={(event) => onChange(event.target.value || undefined)}>
        <option value="">All sites</option>
        {directory.data?.sites.map((site) => (
          <option key={site.id} value={site.id}>
            {site.name}
          </option>
        ))}
      </select>
    </label>
  );
}
