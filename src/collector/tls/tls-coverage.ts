/**
 * Which TLS connections were read. The kernel reports every connected socket of a traced process whose first bytes
 * were a TLS ClientHello (EV_NET_TLS_HELLO, bpf/net.bpf.c); the TLS handler reports every plaintext stream it
 * opened. A TLS socket of a process that no stream accounts for is a connection whose plaintext we did not capture:
 * a loss row with its bytes, named by why:
 * - `tls:before-attach`: the process's TLS code was probed, but only after the connection started;
 * - `tls:not-probed`: the process's files hold a TLS stack we recognise but do not probe (GnuTLS, Go crypto/tls …);
 * - `tls:unknown-stack`: neither (no stack recognised, or probes in place that saw nothing).
 *
 * Sockets and streams are matched per process by count and time (a stream belongs to the latest unmatched socket
 * whose hello came before its first plaintext): the kernel does not tie an SSL* to a socket. A process is judged
 * once its streams can no longer grow: EXIT_JUDGE_MS after its exit (the TLS handler closes an exited process's
 * streams 30 s after the exit), or at the end of the capture.
 */
import path from 'node:path';
import type { CollectorContext, RecordHandler } from '../collector';
import type { TlsTargetRow } from '../../store/types';
import { discoverTls, resolveCommand } from './discovery';
import type { UnprobedStack } from './discovery';

const EXIT_JUDGE_MS = 35_000;
/**
 * A connection that sent less than this after its ClientHello carried no request: a failed handshake's alert is
 * 7-31 bytes, a TLS 1.3 handshake's ChangeCipherSpec + Finished + close_notify ~83, and any application record adds at
 * least 22 more. Such a connection had no plaintext to capture and is not a loss.
 */
const NO_REQUEST_BYTES = 100;

/** What TLS discovery decided about one file, as the coverage needs it (fed by TlsAttacher). */
export interface TargetFacts {
  row: TlsTargetRow;
  unprobed: readonly UnprobedStack[];
}

/** A connected socket whose first send was a ClientHello. `bytes()` reads its counters as last polled. */
export interface TlsSocket {
  processId: number;
  tgid: number;
  helloNs: number;
  /** Bytes of the first send (the ClientHello). */
  helloLen: number;
  addr: string;
  port: number | null;
  host: () => string | null;
  bytes: () => { sent: number; recv: number };
}

interface ProcessState {
  tgid: number;
  exe: string | null;
  sockets: TlsSocket[];
  streams: number[];
  judgeAfterMs: number | null;
}

const STACK_NAMES: Record<UnprobedStack, string> = {
  gnutls: 'GnuTLS',
  'go-crypto-tls': 'Go crypto/tls',
  'rustls-ring': 'rustls (ring)',
  nss: 'NSS',
};

export class TlsCoverage implements RecordHandler {
  /** Handles no records: fed by the network and TLS handlers (see tlsCoverage()). */
  readonly types = [0, -1] as const;
  private readonly procs = new Map<number, ProcessState>();
  private readonly targets = new Map<string, TargetFacts>();
  private readonly filesOfExe = new Map<string, string[]>();
  private final = false;
  /** TLS connections judged so far: with plaintext, and without (by reason). */
  readonly judged = { captured: 0, handshakeOnly: 0, lost: new Map<string, number>() };

  handle(): void {
    // no records of its own
  }

  /** TLS discovery examined a file (attached or not). */
  noteTarget(facts: TargetFacts): void {
    this.targets.set(facts.row.path, facts);
  }

  noteSocket(s: TlsSocket, exe: string | null): void {
    const p = this.proc(s.processId, s.tgid, exe);
    p.sockets.push(s);
  }

  noteStream(processId: number, tgid: number, firstNs: number, exe: string | null): void {
    this.proc(processId, tgid, exe).streams.push(firstNs);
  }

  onProcessExit(row: { id: number }): void {
    const p = this.procs.get(row.id);
    if (p) p.judgeAfterMs = Date.now() + EXIT_JUDGE_MS;
  }

  private proc(processId: number, tgid: number, exe: string | null): ProcessState {
    let p = this.procs.get(processId);
    if (!p) this.procs.set(processId, (p = { tgid, exe, sockets: [], streams: [], judgeAfterMs: null }));
    if (exe) p.exe = exe;
    return p;
  }

  /** Runs after the network handler's tick (handler order), so socket byte counters are current. */
  tick(ctx: CollectorContext): void {
    const now = Date.now();
    for (const [id, p] of this.procs) {
      if (!this.final && (p.judgeAfterMs === null || p.judgeAfterMs > now)) continue;
      this.judge(id, p, ctx);
      this.procs.delete(id);
    }
  }

  /** End of capture: the next tick judges every process (after the network handler's last poll). */
  finish(): void {
    this.final = true;
  }

  private judge(processId: number, p: ProcessState, ctx: CollectorContext): void {
    if (p.sockets.length === 0) return;
    // A socket that sent no request has no stream to match: set it aside first, or a concurrent client (Go's
    // Transport dials more connections than it ends up using) has its streams matched to those idle sockets by time
    // and the busy ones reported as losses.
    const sockets = p.sockets
      .filter((s) => {
        if (s.bytes().sent - s.helloLen >= NO_REQUEST_BYTES) return true;
        this.judged.handshakeOnly++;
        return false;
      })
      .sort((a, b) => a.helloNs - b.helloNs);
    const unmatched = new Set(sockets);
    for (const first of [...p.streams].sort((a, b) => a - b)) {
      let pick: TlsSocket | null = null;
      for (const s of unmatched) if (s.helloNs <= first) pick = s;
      pick ??= unmatched.values().next().value ?? null;
      if (!pick) break;
      unmatched.delete(pick);
      this.judged.captured++;
    }
    for (const s of unmatched) {
      const b = s.bytes();
      const why = this.reason(p, s);
      const host = s.host();
      const to = `${host ?? s.addr}${s.port !== null ? `:${s.port}` : ''}`;
      ctx.loss(why.source, 1, b.sent + b.recv, `TLS connection to ${to} (${b.sent} bytes sent, ${b.recv} received) not decrypted: ${why.detail}`, processId, null);
      this.judged.lost.set(why.source, (this.judged.lost.get(why.source) ?? 0) + 1);
    }
  }

  private reason(p: ProcessState, s: TlsSocket): { source: string; detail: string } {
    if (!p.exe) return { source: 'tls:unknown-stack', detail: 'the process never exec’d a program we examined' };
    const facts = this.files(p.exe).map((f) => this.facts(f)).filter((x): x is TargetFacts => x !== null);
    const attached = facts.filter((f) => f.row.status === 'attached');
    const after = attached.find((f) => f.row.tsNs > s.helloNs);
    if (after) {
      const ms = Math.round((after.row.tsNs - s.helloNs) / 1e6);
      return { source: 'tls:before-attach', detail: `probes in ${after.row.path} attached ${ms} ms after the connection started` };
    }
    const unprobed = facts.filter((f) => f.unprobed.length > 0);
    if (unprobed.length > 0) {
      return { source: 'tls:not-probed', detail: unprobed.map((f) => `${f.unprobed.map((u) => STACK_NAMES[u]).join(', ')} in ${f.row.path} is not probed`).join('; ') };
    }
    if (attached.length > 0) return { source: 'tls:unknown-stack', detail: `probes in ${attached.map((f) => f.row.path).join(', ')} saw no plaintext of it` };
    // Examined only now (id -1, see facts): a stack found there was never probed while the process ran.
    const late = facts.filter((f) => f.row.id === -1 && f.row.stack !== null);
    if (late.length > 0) return { source: 'tls:not-probed', detail: late.map((f) => `${f.row.stack} in ${f.row.path} was not probed while the process ran`).join('; ') };
    return { source: 'tls:unknown-stack', detail: `no TLS stack recognised in ${p.exe}${facts.length > 1 ? ' or its libraries' : ''}` };
  }

  /** The program and the TLS libraries it loads (DT_NEEDED, dlopen for interpreters), as TLS discovery sees them. */
  private files(exe: string): string[] {
    let files = this.filesOfExe.get(exe);
    if (!files) {
      try {
        files = resolveCommand(exe, { PATH: path.dirname(exe) }, '/').files.map((f) => f.path);
      } catch {
        files = [exe];
      }
      this.filesOfExe.set(exe, files);
    }
    return files;
  }

  private facts(file: string): TargetFacts | null {
    const known = this.targets.get(file);
    if (known) return known;
    // A library nobody examined yet (not a system TLS library, not exec'd): examine it now, from the cache if it can.
    try {
      const d = discoverTls(file);
      const facts: TargetFacts = {
        row: { id: -1, path: d.path, buildId: d.buildId, sha256: d.sha256 || null, stack: d.stack, status: 'not-found', detail: d.detail, probes: '[]', tsNs: 0 },
        unprobed: d.unprobed,
      };
      this.targets.set(file, facts);
      return facts;
    } catch {
      return null;
    }
  }
}

const registry = new WeakMap<object, TlsCoverage>();

/** The coverage of a collector's capture (created with the TLS handler), so the other layers can feed it. */
export function registerTlsCoverage(collector: object, c: TlsCoverage): void {
  registry.set(collector, c);
}

export function tlsCoverage(collector: object): TlsCoverage | undefined {
  return registry.get(collector);
}
