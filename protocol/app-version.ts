/**
 * App builds as their installer names them ("0.4.2", "1.0.0-beta.2"): dotted numbers, an optional
 * pre-release tag after a hyphen, which comes before the release it names (semver's order, without
 * build metadata). Shared by the office (which can require a build of a device) and the console.
 */
const APP_VERSION = /^(\d{1,6})(?:\.(\d{1,6}))?(?:\.(\d{1,6}))?(?:-([0-9A-Za-z.-]{1,30}))?$/;

export function isAppVersion(text: string): boolean {
  return APP_VERSION.test(text);
}

/** Negative when `a` is older than `b`, zero when the same build, positive when newer; null when either is not a version. */
export function compareAppVersions(a: string, b: string): number | null {
  const left = APP_VERSION.exec(a);
  const right = APP_VERSION.exec(b);
  if (!left || !right) return null;
  for (let part = 1; part <= 3; part++) {
    const difference = Number(left[part] ?? 0) - Number(right[part] ?? 0);
    if (difference !== 0) return difference;
  }
  const [tagA, tagB] = [left[4], right[4]];
  if (tagA === tagB) return 0;
  if (tagA === undefined) return 1;
  if (tagB === undefined) return -1;
  return comparePreRelease(tagA, tagB);
}

/** Dot-separated identifiers, numeric ones by value and before alphanumeric ones, a longer list after its prefix. */
function comparePreRelease(a: string, b: string): number {
  const left = a.split('.');
  const right = b.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const [x, y] = [left[i], right[i]];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const [numericX, numericY] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (numericX && numericY && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (numericX !== numericY) return numericX ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Whether a device running `running` (null: it never said) meets `required`. */
export function meetsRequiredVersion(running: string | null | undefined, required: string): boolean {
  if (!running) return false;
  const order = compareAppVersions(running, required);
  return order !== null && order >= 0;
}
