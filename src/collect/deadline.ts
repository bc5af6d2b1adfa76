/**
 * The run's --deadline, as the CLI and the collector share it (no SDK here: the CLI imports it
 * before anything is loaded). The deadline counts from the start of the whole run, organisation
 * discovery included; when it passes, the run's signal is aborted with deadlineReason().
 */

/** The reason a run's signal is aborted with when its --deadline passes. */
export function deadlineReason(): Error {
  return Object.assign(new Error('deadline'), { name: 'DeadlineExceeded' });
}

/** Whether a signal was aborted by the deadline (else: an interrupt). */
export function isDeadline(signal: AbortSignal): boolean {
  return (signal.reason as { name?: string } | undefined)?.name === 'DeadlineExceeded';
}

/** The deadline as it is written: 90s, 30m. */
export function formatDeadline(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}
