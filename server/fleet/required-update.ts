import { meetsRequiredVersion } from '../../protocol/app-version.js';
import { CURRENT_SCHEMA_VERSION, type UpdateRequired } from '../../protocol/wire.js';
import type { Device } from '../db/queries/identity.js';
import { ApiFailure } from '../errors.js';

/**
 * An administrator required an app build of this device (a fix it must have, a build that must
 * leave the fleet): its pushes and pulls are answered 426 until it says it runs that build or a
 * later one. Its work stays queued on the device, which tells its operator to update.
 */
export function checkRequiredAppVersion(device: Pick<Device, 'requiredAppVersion'>, running: string | undefined, clientVersion: number): void {
  const required = device.requiredAppVersion;
  if (!required || meetsRequiredVersion(running, required)) return;
  const body: Omit<UpdateRequired, 'code' | 'message'> = { minimumVersion: clientVersion, currentVersion: CURRENT_SCHEMA_VERSION, requiredAppVersion: required };
  throw new ApiFailure(
    426,
    'update-required',
    `the office requires app ${required} or later on this device (it runs ${running ?? 'a build it did not name'}); update the app to sync again, your work stays on this device until then`,
    body,
  );
}
