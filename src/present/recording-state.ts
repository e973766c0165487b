import type { RecordingState } from '../store/recording-state';
import { formatClock } from './clock';
import { formatDuration } from './duration';

/**
 * How a recording ended, for every reader's header ("Recording: " + this): null when there is nothing to say
 * (finished normally, or written by a build that did not store its recorder). Store.recordingState() decides.
 */
export function recordingStateText(s: RecordingState, startNs: number | null, utc = false): string | null {
  const at = (ns: number | null) => (ns === null ? 'at an unknown time' : `at ${formatClock(ns, utc)}${startNs !== null ? ` (+${formatDuration(ns - startNs)})` : ''}`);
  if (s.state === 'incomplete' && s.reason === 'store-failed') return `incomplete — the store failed ${at(s.stoppedAtNs)}: ${s.detail ?? 'write error'}`;
  if (s.state === 'incomplete') return `incomplete — recorder stopped ${at(s.stoppedAtNs)} without finishing (killed or crashed)`;
  if (s.state === 'recording') return `in progress — last committed ${at(s.stoppedAtNs)}`;
  return null;
}
