import type { SyncStatusView } from '../../main/ipc/contract.js';
import { plural } from '../format.js';
import { ThemeChoice } from '../ThemeControls.js';

/**
 * Shown instead of the app once the office refuses this version: syncing has stopped, and working
 * on would pile up changes the office cannot take. Nothing already saved is lost.
 */
export function ForcedUpdate({ status }: { status: SyncStatusView }) {
  const { minimumVersion, requiredAppVersion } = status.updateRequired!;
  const unsent = status.changesWaiting + status.failed;
  return (
    <main className="sign-in">
      <section className="card sign-in__card forced-update" aria-labelledby="update-heading">
        <div className="brand brand--large">
          <img className="brand__mark" src="./icon.svg" alt="" />
          Waypost
        </div>
        <h1 id="update-heading">Update required</h1>
        <p>
          {requiredAppVersion
            ? `The office requires Waypost ${requiredAppVersion} or later on this device before it syncs again.`
            : `The office no longer accepts this version of Waypost: it needs one that syncs in format ${minimumVersion} or later.`}
        </p>
        <p>
          {unsent === 0
            ? 'Everything recorded on this device has reached the office.'
            : `Nothing is lost: ${plural(unsent, 'change', 'changes')} not yet sent stay safely on this device and go to the office once Waypost is updated.`}
        </p>
        <p className="muted">
          Waypost downloads the update from the office and restarts to install it. If it has not restarted within a few minutes, ask your
          administrator to update this device.
        </p>
      </section>
      <ThemeChoice className="card sign-in__display" />
    </main>
  );
}
