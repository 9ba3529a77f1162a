/**
 * When the desktop app looks for and installs updates from the office's feed, apart from
 * electron-updater so that the decisions are tested under Node. A release is fetched quietly and
 * installed when the app quits; once the office requires a newer build (it refuses this one's
 * syncs), the update installs at once, past the feed's staged rollout, but never in the middle of a
 * sync batch. Drafts need no wait: every form keeps its typing in the core as it goes.
 */
export interface UpdateSeams {
  /** Asks the feed; a release found is downloaded, and `downloaded()` called. */
  check(): Promise<void>;
  /** Quits the app and runs the downloaded installer. */
  install(): void;
  /** A sync batch is on its way (or the core cannot say): installing now would cut it. */
  syncInFlight(): Promise<boolean>;
  setTimer(run: () => void, ms: number): void;
  log(message: string, error?: unknown): void;
}

/** How often a running app asks the feed: kiosks run for weeks. */
export const UPDATE_CHECK_INTERVAL_MS = 4 * 60 * 60 * 1000;
/** How soon a required update tries again when a sync batch was on its way. */
export const INSTALL_RETRY_MS = 15 * 1000;

export class UpdateGate {
  readonly #seams: UpdateSeams;
  #required = false;
  #downloaded = false;
  #installing = false;

  constructor(seams: UpdateSeams) {
    this.#seams = seams;
  }

  /** Checks now and then on an interval. */
  start(): void {
    const checkAndRepeat = () => {
      void this.#check();
      this.#seams.setTimer(checkAndRepeat, UPDATE_CHECK_INTERVAL_MS);
    };
    checkAndRepeat();
  }

  /** The office refuses this build: fetch the update now, and install it as soon as no sync is on its way. */
  required(): void {
    this.#required = true;
    if (this.#downloaded) void this.#installWhenQuiet();
    else void this.#check();
  }

  downloaded(): void {
    this.#downloaded = true;
    if (this.#required) void this.#installWhenQuiet();
  }

  /** electron-updater's staged rollout, which a required update does not wait for. */
  withinRollout(staged: boolean): boolean {
    return this.#required || staged;
  }

  async #check(): Promise<void> {
    try {
      await this.#seams.check();
    } catch (error) {
      this.#seams.log('update check failed', error);
    }
  }

  async #installWhenQuiet(): Promise<void> {
    if (this.#installing) return;
    this.#installing = true;
    const busy = await this.#seams.syncInFlight().catch(() => true);
    if (busy) {
      this.#installing = false;
      this.#seams.log(`required update downloaded; installing once the sync on its way is done (asking again in ${INSTALL_RETRY_MS / 1000} s)`);
      this.#seams.setTimer(() => void this.#installWhenQuiet(), INSTALL_RETRY_MS);
      return;
    }
    this.#seams.install();
  }
}
