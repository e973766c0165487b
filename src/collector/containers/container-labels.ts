/**
 * Which container each process row belongs to (id, name) and its pid inside the container's pid namespace.
 * Read from /proc once per process where it can differ from its parent's: a row with no parent in the model (a
 * process seeded from /proc, a `docker exec` child of the runtime, an agent found by live `top`) and every row of a
 * container scope; a child otherwise inherits its parent's container (a fork does not change cgroup), and only a
 * child of a container process reads its own NSpid. Names come from the container scope, or from the Docker API
 * (asynchronously: the rows are written again once the name is known).
 */
import type { ProcessRow } from '../../store/types';
import { cgroupPathOf, containerOfCgroup, nsPidOf } from './cgroup';
import { containerNames } from './docker-api';

/** Rows waiting for a container's name, at most this many per container (the rest keep the short id). */
const WAITING_MAX = 4096;

export class ContainerLabels {
  private readonly names = new Map<string, string>();
  private readonly waiting = new Map<string, ProcessRow[]>();
  private lookup: Promise<void> | null = null;
  /** The container a recording is scoped to, when nothing else is recorded (record --container alone). */
  private only: { id: string; name: string } | null = null;

  /**
   * @param touch  write a row again (its name arrived later)
   * @param probeRoots  read /proc for rows without a parent (record); live `top` labels only the agents it finds
   */
  constructor(
    private readonly touch: (row: ProcessRow) => void,
    private readonly opts: { probeRoots: boolean; askDocker: boolean },
  ) {}

  /**
   * A container whose name is known already (the container scope's). only: the recording holds nothing else, so a
   * process in another pid namespace gone before /proc could be read is this container's (fromScope).
   */
  know(id: string, name: string, only = false): void {
    this.names.set(id, name);
    if (only) this.only = { id, name };
  }

  /**
   * A process that exec'd in another pid namespace (nsPid from the kernel) and has no container yet: /proc was gone
   * when its record was read (the collector runs behind a busy workload). In a recording of one container only, it
   * is that container's.
   */
  fromScope(row: ProcessRow): void {
    if (row.containerId || row.nsPid === null || row.nsPid === undefined || !this.only) return;
    row.containerId = this.only.id;
    row.containerName = this.only.name;
  }

  /** A new row: inherit from its parent, or read /proc for a root. */
  onNewRow(row: ProcessRow, parent: ProcessRow | undefined): void {
    if (parent) {
      if (!parent.containerId) return;
      row.containerId = parent.containerId;
      row.containerName = parent.containerName;
      row.nsPid = nsPidOf(row.pid);
      return;
    }
    if (this.opts.probeRoots) this.label(row);
  }

  /** Read this process's container from /proc (agents recognised by live `top`, rows of a container scope). */
  label(row: ProcessRow): void {
    const cg = cgroupPathOf(row.pid);
    const c = cg === null ? null : containerOfCgroup(cg);
    if (!c) return;
    row.containerId = c.id;
    row.nsPid = nsPidOf(row.pid);
    const name = this.names.get(c.id);
    if (name !== undefined) {
      row.containerName = name;
      return;
    }
    row.containerName = c.id.slice(0, 12);
    const list = this.waiting.get(c.id) ?? [];
    if (list.length < WAITING_MAX) list.push(row);
    this.waiting.set(c.id, list);
    if (this.opts.askDocker) this.askNames();
  }

  /** One Docker API call at a time; rows waiting for a name the daemon does not know keep the short id. */
  private askNames(): void {
    if (this.lookup) return;
    this.lookup = containerNames()
      .then((m) => {
        for (const [id, name] of m) this.names.set(id, name);
      })
      .catch(() => {
        // no Docker daemon (containerd, podman): the short id stays
      })
      .finally(() => {
        this.lookup = null;
        for (const [id, rows] of this.waiting) {
          const name = this.names.get(id) ?? id.slice(0, 12);
          for (const r of rows) {
            if (r.containerId !== id || r.containerName === name) continue;
            r.containerName = name;
            this.touch(r);
          }
        }
        this.waiting.clear();
      });
  }
}
