// Hand-off: release the kernel side without waiting for it, for a process about to exit. Destroying ~80 tracepoint
// links waits for an RCU grace period each (serialized by the kernel's event_mutex): `record` sat 1.7 s after its
// summary before the shell got its prompt back. A child (the keeper) takes a copy of every link, program and map fd
// and waits for this process to exit (a pipe only this process writes); this process then closes its own copies,
// which are no longer the last references and cost nothing, and the keeper's exit does the slow teardown unwatched.
// The probes stay attached for that second or two, feeding rings no one reads. The keeper shares this process's
// memory (clone CLONE_VM): no page tables copied, and this process's exit leaves the unmapping of its memory (the
// rings, node's heap) to the keeper's exit too.
#ifndef AGENTSIGHT_HAND_OFF_H
#define AGENTSIGHT_HAND_OFF_H

#include <vector>

namespace agentsight {

// Start the keeper that keeps copies of `fds` until this process exits. false: no keeper to be had (no fds, no pipe,
// no clone); the caller then closes normally, waiting. On true the caller closes its own copies.
bool ForkKeeper(const std::vector<int> &fds);

}  // namespace agentsight

#endif
