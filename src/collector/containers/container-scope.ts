/**
 * `record --container NAME|ID`: every process of one container — those running when the recording starts and every
 * one started later, `docker exec`'s included (its parent is the runtime, not a traced process).
 *
 * Membership is decided in the kernel by cgroup (bpf/process.bpf.c in_cgroup_scope): the container's cgroup id goes
 * into `cgroup_scope`, and a process forked in that cgroup, or exec'ing after the runtime moved it there, joins the
 * traced set before its first instruction. The processes already running are found in /proc by cgroup path and
 * seeded, parent first. A restart makes a new cgroup (same path, new id): a poll of the path's id adds it and seeds
 * what already runs in it.
 *
 * Docker containers are found through the daemon's API socket (name or id prefix → id, name, first pid); other
 * runtimes (containerd, podman, CRI-O) by an id prefix in a running process's cgroup path.
 */
import type { BpfCapture } from '../bpf-capture';
import type { Collector } from '../collector';
import { bootTimeNs } from '../files/process-for';
import { cgroup2Mount, cgroupId, cgroupPathOf, containerOfCgroup, processesInCgroup } from './cgroup';
import { DockerApiError, dockerEndpoint, dockerReachable, inspectContainer } from './docker-api';

export class ContainerScopeError extends Error {}

/** How often the cgroup's id is checked for a restart (a stat), and Docker asked while the container is stopped. */
const POLL_MS = 250;

export interface ContainerTarget {
  id: string;
  name: string;
  runtime: string;
  /** The container's cgroup v2 path, once it runs. */
  cgroup: string | null;
}

/** Find the container: Docker first (names are Docker's), then any runtime's cgroup by id prefix. */
export async function findContainer(ref: string, env: NodeJS.ProcessEnv = process.env): Promise<ContainerTarget> {
  if (!ref) throw new ContainerScopeError('--container: empty name');
  if (!cgroup2Mount()) throw new ContainerScopeError('--container needs cgroup v2 (no cgroup2 mount in /proc/self/mountinfo)');
  let dockerWhy: string;
  try {
    dockerEndpoint(env);
    if (await dockerReachable(env)) {
      const c = await inspectContainer(ref, env);
      if (c) {
        const cg = c.running ? cgroupPathOf(c.pid) : null;
        return { id: c.id, name: c.name, runtime: 'docker', cgroup: cg === null ? null : containerOfCgroup(cg)?.cgroup ?? cg };
      }
      dockerWhy = 'docker knows no such container';
    } else dockerWhy = `no docker daemon at ${dockerEndpoint(env).shown}`;
  } catch (err) {
    if (!(err instanceof DockerApiError)) throw err;
    dockerWhy = err.message;
  }
  // containerd, podman, CRI-O: a running process whose cgroup names a container with this id prefix
  if (/^[0-9a-f]{4,64}$/.test(ref)) {
    const found = new Map<string, ContainerTarget>();
    for (const { pid } of processesInCgroup('')) {
      const cg = cgroupPathOf(pid);
      const c = cg === null ? null : containerOfCgroup(cg);
      if (c && c.id.startsWith(ref)) found.set(c.id, { id: c.id, name: c.id.slice(0, 12), runtime: c.runtime ?? 'cgroup', cgroup: c.cgroup });
    }
    if (found.size === 1) return [...found.values()][0];
    if (found.size > 1) throw new ContainerScopeError(`--container ${ref}: ${found.size} running containers have ids starting so; give more of the id`);
  }
  throw new ContainerScopeError(`--container ${ref}: no such container (${dockerWhy}; no running container's cgroup has an id starting with ${ref})`);
}

export class ContainerScope {
  private timer: NodeJS.Timeout | null = null;
  private currentId: bigint | null = null;
  private asking = false;
  /** Cgroup ids put in the kernel's scope (one per start of the container). */
  readonly cgroupIds: bigint[] = [];
  /** Processes found running in the container and seeded from /proc (at start and at each restart noticed). */
  seeded = 0;

  constructor(
    private readonly capture: BpfCapture,
    private readonly collector: Collector,
    readonly target: ContainerTarget,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /**
   * Scope the capture to the container and seed what runs in it; returns the pids seeded. only: the recording holds
   * nothing but this container (no command, -p or -c).
   */
  start(only = false): number[] {
    this.collector.containers.know(this.target.id, this.target.name, only);
    this.setMap('cgroup_scope_on', u32(0), u32(1));
    const pids = this.follow();
    this.timer = setInterval(() => {
      try {
        this.follow();
      } catch (err) {
        // never fatal to the recording: what a restart starts before the next try is missed, and said so
        this.collector.loss('container:follow', 1, 0, (err as Error).message.split('\n')[0]);
      }
    }, POLL_MS);
    this.timer.unref();
    return pids;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The container's cgroup now: a new one (first start, restart) goes into the kernel's scope, then /proc is seeded. */
  private follow(): number[] {
    if (this.target.cgroup === null) {
      this.askDocker();
      return [];
    }
    const id = cgroupId(this.target.cgroup);
    if (id === null) {
      // stopped (or being restarted): Docker tells where it runs next (the systemd driver keeps the path, cgroupfs too)
      if (this.target.runtime === 'docker') this.askDocker();
      return [];
    }
    if (id === this.currentId) return [];
    // the old cgroup is gone with the old run: its id leaves the kernel's scope (the map holds 256)
    if (this.currentId !== null) {
      try {
        this.capture.host.mapDelete('cgroup_scope', u64(this.currentId));
      } catch {
        // already gone
      }
    }
    this.currentId = id;
    this.cgroupIds.push(id);
    this.setMap('cgroup_scope', u64(id), Buffer.from([1]));
    return this.seed(this.target.cgroup);
  }

  private askDocker(): void {
    if (this.asking || this.target.runtime !== 'docker') return;
    this.asking = true;
    inspectContainer(this.target.id, this.env)
      .then((c) => {
        if (!c?.running) return;
        const cg = cgroupPathOf(c.pid);
        if (cg !== null) this.target.cgroup = containerOfCgroup(cg)?.cgroup ?? cg;
        this.follow();
      })
      .catch(() => {
        // the daemon went away for a moment: asked again at the next poll
      })
      .finally(() => {
        this.asking = false;
      });
  }

  /**
   * Trace what already runs in the cgroup, oldest first (parents before children): into the kernel's set first, so a
   * child forked meanwhile is traced at fork; one the kernel already traces is on its way as a record.
   */
  private seed(cgroup: string): number[] {
    const boot = bootTimeNs();
    const pids: number[] = [];
    for (const { pid } of processesInCgroup(cgroup)) {
      if (pid === process.pid || this.inKernelSet(pid)) continue;
      this.capture.addTraced(pid);
      const row = this.collector.processes.seedFromProc(pid, boot);
      if (!row) continue;
      // /proc start times are clock ticks, not the kernel's ns: identity unknown (as attach.ts does for -p)
      row.kstartNs = 0;
      pids.push(pid);
      this.seeded++;
      // agent recognition and TLS probes on the file this process runs, as an exec would
      this.collector.adopt(row);
    }
    return pids;
  }

  private inKernelSet(pid: number): boolean {
    const k = Buffer.alloc(4);
    k.writeUInt32LE(pid);
    return this.capture.host.mapLookup('shared_traced', k, 8) !== null;
  }

  private setMap(name: string, k: Buffer, v: Buffer): void {
    try {
      this.capture.host.mapUpdate(name, k, v);
    } catch (err) {
      throw new ContainerScopeError(`--container needs the process probes' ${name} map (rebuild with make bpf): ${(err as Error).message.split('\n')[0]}`);
    }
  }
}

function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
