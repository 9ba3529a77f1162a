/**
 * How long to wait before starting the core process again after it stopped unexpectedly: at once
 * after a lone crash (the operator is waiting), then longer and longer while crashes keep coming,
 * so a core that dies at every start does not spin the machine. Pure: crash times in, delay out.
 */
export const CRASH_WINDOW_MS = 10 * 60_000;
const FIRST_RETRY_MS = 250;
const MAX_DELAY_MS = 30_000;

export function restartDelayMs(crashTimes: readonly number[], now: number): number {
  const recent = crashTimes.filter((at) => at > now - CRASH_WINDOW_MS && at <= now).length;
  if (recent <= 1) return 0;
  return Math.min(FIRST_RETRY_MS * 2 ** (recent - 2), MAX_DELAY_MS);
}
