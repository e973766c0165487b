/** File activity: the record handler and the helpers readers may want (open intents, path folding). */
import type { BpfCapture } from '../bpf-capture';
import type { RecordHandler } from '../collector';
import { FileHandler } from './file-handler';

export { FileHandler } from './file-handler';
export { openIntent, storeOp, type OpenIntent } from './file-ops';
export { absolutePath, normalise } from './absolute-path';

/** The file handler, when the file group is loaded. */
export function fileHandlers(capture: BpfCapture): RecordHandler[] {
  return capture.loadedGroups.includes('file') ? [new FileHandler()] : [];
}
