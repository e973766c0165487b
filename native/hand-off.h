// Hand-off: release the kernel side without waiting for it, for a process about to exit. Destroying ~80 tracepoint
// links waits for an RCU grace period each (serialized by the kernel's event_mutex): `record` sat 1.7 s after its
// summary before the shell got its prompt back. A forked child takes a copy of every link, program and map fd and
// waits for this process to exit (a pipe only this process writes); this process then closes its own copies, which
// are no longer the last references and cost nothing, and the child's exit does the slow teardown unwatched. The
// probes stay attached for that second or two, feeding rings no one reads.
#ifndef AGENTSIGHT_HAND_OFF_H
#define AGENTSIGHT_HAND_OFF_H

#include <vector>

namespace agentsight {

// Fork the child that keeps copies of `fds` until this process exits. false: no child to be had (no fds, no pipe,
// no fork); the caller then closes normally, waiting. On true the caller closes its own copies.
bool ForkKeeper(const std::vector<int> &fds);

}  // namespace agentsight

#endif
