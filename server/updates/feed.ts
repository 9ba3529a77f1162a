/**
 * electron-builder's update manifest (latest.yml) as the office serves it. The office reads only
 * the few top-level keys it needs and adds the rollout share; the rest passes through unchanged,
 * so no YAML library is needed for a file whose shape electron-builder fixes.
 */

export interface Release {
  version: string;
  /** The installer and its block map as the manifest names them: the only files the feed serves. */
  files: string[];
  releaseDate: string | null;
}

function scalar(raw: string): string {
  const value = raw.trim();
  const quoted = /^'(.*)'$/.exec(value) ?? /^"(.*)"$/.exec(value);
  return quoted ? quoted[1]! : value;
}

/** The release a manifest describes, or null when it names no version or no installer. */
export function readRelease(manifest: string): Release | null {
  let version: string | null = null;
  let releaseDate: string | null = null;
  const files = new Set<string>();
  for (const line of manifest.split(/\r?\n/)) {
    const topLevel = /^([A-Za-z]+):(.*)$/.exec(line);
    if (topLevel) {
      const [, key, value] = topLevel;
      if (key === 'version') version = scalar(value!);
      else if (key === 'path') files.add(scalar(value!));
      else if (key === 'releaseDate') releaseDate = scalar(value!);
      continue;
    }
    const fileUrl = /^\s+-?\s*url:(.*)$/.exec(line);
    if (fileUrl) files.add(scalar(fileUrl[1]!));
  }
  if (!version || files.size === 0) return null;
  // electron-updater fetches the block map beside the installer for a differential download.
  for (const file of [...files]) if (file.endsWith('.exe')) files.add(`${file}.blockmap`);
  return { version, files: [...files], releaseDate };
}

/** The manifest offering the release to `percentage` of installations (electron-updater's stagingPercentage). */
export function withRolloutShare(manifest: string, percentage: number): string {
  const kept = manifest.split(/\r?\n/).filter((line) => !/^stagingPercentage:/.test(line));
  while (kept.length > 0 && kept.at(-1) === '') kept.pop();
  if (percentage < 100) kept.push(`stagingPercentage: ${percentage}`);
  return `${kept.join('\n')}\n`;
}
