/** Resource samples (CPU%, RSS) of traced processes. */
import type { RecordHandler } from '../collector';
import { ResourceSampler } from './resource-sampler';

export { ResourceSampler } from './resource-sampler';
export { cpuPercent, parseStat, readProcSample } from './proc-stat';

/** In record mode every live process is traced; system-wide, only processes of an agent session are sampled. */
export function resourceHandlers(collector: { recordSessionId: number | null }): RecordHandler[] {
  return [new ResourceSampler({ sessionsOnly: collector.recordSessionId === null })];
}
