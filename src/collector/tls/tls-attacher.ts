/**
 * Puts the TLS uprobes where discovery says: for the recorded command's files before it starts, for the system's
 * libssl (interpreters dlopen it), and for every new binary a traced process execs. Uprobes attach to a file, so one
 * attachment covers every process that maps it, now and later; the BPF side filters to the traced set.
 * What was found — or not, and why — is stored in tls_targets and, for the files that matter, printed.
 */
import fs from 'node:fs';
import type { BpfCapture } from '../bpf-capture';
import type { Collector } from '../collector';
import type { ProcessRow, TlsTargetRow } from '../../store/types';
import { ExecHold, type ExecHoldFigures } from './exec-hold';
import { discoverTls, resolveCommand, type ProbeKind, type TlsDiscovery } from './discovery';
import type { TlsStack, UnprobedStack } from './discovery/types';
import { readLdSoCache } from './discovery/ld-cache';
import { tlsCoverage } from './tls-coverage';
import { executableOf, mountNsOf, type ProcessFile } from '../containers/process-file';
import { containerTlsLibraries } from '../containers/container-libraries';

/** BPF entry program per probe kind (bpf/tls.bpf.c); every kind but seal also gets the shared return probe. */
const ENTRY_PROGRAM: Partial<Record<ProbeKind, string>> = {
  SSL_write: 'uprobe_ssl_write',
  SSL_read: 'uprobe_ssl_read',
  SSL_write_ex: 'uprobe_ssl_write_ex',
  SSL_read_ex: 'uprobe_ssl_read_ex',
  EVP_AEAD_CTX_seal: 'uprobe_aead_seal',
  EVP_AEAD_CTX_open: 'uprobe_aead_open',
  // the end of a connection: a freed SSL*'s address is handed to the next one
  SSL_free: 'uprobe_ssl_free',
  SSL_clear: 'uprobe_ssl_free',
  // stripped BoringSSL (no SSL_free): a handshake step on an SSL* that carried data starts its next connection
  SSL_do_handshake: 'uprobe_ssl_handshake',
  // GnuTLS: SSL_write/SSL_read's register ABI and return convention (detect-gnutls.ts); gnutls_deinit ends a session
  gnutls_record_send: 'uprobe_ssl_write',
  gnutls_record_recv: 'uprobe_ssl_read',
  gnutls_deinit: 'uprobe_ssl_free',
  // Go crypto/tls: entry, every RET (a uretprobe crashes Go programs: detect-go.ts), Close
  go_tls_write: 'uprobe_go_write',
  go_tls_write_ret: 'uprobe_go_write_ret',
  go_tls_read: 'uprobe_go_read',
  go_tls_read_ret: 'uprobe_go_read_ret',
  go_tls_close: 'uprobe_go_close',
};
/** Kinds whose return probe is not the shared uretprobe_tls_call. */
const RETURN_PROGRAM: Partial<Record<ProbeKind, string>> = { SSL_do_handshake: 'uretprobe_ssl_handshake' };
const NO_RETURN_PROBE = new Set<ProbeKind>([
  'EVP_AEAD_CTX_seal', 'SSL_free', 'SSL_clear', 'gnutls_deinit',
  'go_tls_write', 'go_tls_write_ret', 'go_tls_read', 'go_tls_read_ret', 'go_tls_close',
]);
/** Syscall hooks that tie AEAD contexts to sockets (and end the ties at close): only needed once an aws-lc target is attached. */
export const AEAD_SOCKET_PROGRAMS = [
  'lazy_sys_enter_writev', 'lazy_sys_enter_write', 'lazy_sys_enter_sendto', 'lazy_sys_enter_sendmsg',
  'lazy_sys_enter_recvfrom', 'lazy_sys_exit_recvfrom', 'lazy_sys_enter_read', 'lazy_sys_exit_read',
  'lazy_sys_enter_recvmsg', 'lazy_sys_exit_recvmsg', 'lazy_sys_enter_close', 'lazy_sys_enter_dup2', 'lazy_sys_enter_dup3',
];

/** What to tell the user about one program: where its TLS plaintext will come from, or why it will not. */
export interface AttachReport {
  /** The program (command, agent executable) this is about. */
  program: string;
  /** Files with probes attached. */
  attached: TlsTargetRow[];
  /** Every file examined, attached or not. */
  examined: TlsTargetRow[];
}

export class TlsAttacher {
  private readonly seen = new Map<string, TlsTargetRow>();
  private socketProgramsAttached = false;
  /** Mount namespaces (containers) whose own TLS libraries were probed. */
  private readonly namespacesProbed = new Set<string>();
  private readonly reported = new Set<number>();
  readonly enabled: boolean;
  /** Stops a traced process at the exec of a binary not yet probed, until its probes are in (exec-hold.ts). */
  private readonly hold: ExecHold | null;

  constructor(
    private readonly capture: BpfCapture,
    private readonly collector: Collector,
    private readonly opts: { cacheDir?: string; onReport?: (r: AttachReport) => void; holdExecs?: boolean } = {},
  ) {
    this.enabled = capture.loadedGroups.includes('tls');
    // A binary exec'd after the capture started is probed from this thread: a yielding collector must not leave it
    // unprobed while it makes its first TLS calls (native/yield-policy.cc WatchExecs).
    if (this.enabled) capture.host.watchExecs(true);
    // AGENTSIGHT_EXEC_HOLD=0 turns the hold off (benchmarks compare with it; a last resort should it misbehave).
    const holdWanted = opts.holdExecs ?? process.env.AGENTSIGHT_EXEC_HOLD !== '0';
    this.hold = this.enabled && holdWanted ? new ExecHold(capture.host) : null;
  }

  private identity(path: string, exact = false): string | null {
    try {
      const real = exact ? path : fs.realpathSync(path);
      const st = fs.statSync(real);
      return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return null;
    }
  }

  /** Discover and attach for one file; returns what was stored (or the earlier result for the same file). */
  attachFile(path: string, why: string, notable: boolean): TlsTargetRow | null {
    const row = this.discoverAndAttach(path, why, notable);
    if (row && notable) this.report(path, [row]);
    return row;
  }

  /** Tell the user once per set of files (the command's files, then any new agent binary it execs). */
  private report(program: string, rows: TlsTargetRow[]): void {
    if (rows.length > 0 && rows.every((r) => this.reported.has(r.id))) return;
    for (const r of rows) this.reported.add(r.id);
    this.opts.onReport?.({ program, attached: rows.filter((r) => r.status === 'attached'), examined: rows });
  }

  /** file: a process's own file (a container's: /proc/PID/exe, stored under the path the process knows). */
  private discoverAndAttach(path: string, why: string, notable: boolean, file?: ProcessFile): TlsTargetRow | null {
    if (!this.enabled) return null;
    const id = this.identity(path, file?.exact);
    if (!id) return null;
    const prior = this.seen.get(id);
    if (prior) return prior;
    let d: TlsDiscovery;
    try {
      d = withoutSkippedStacks(discoverTls(path, { cacheDir: this.opts.cacheDir, exactPath: file?.exact }));
    } catch (err) {
      d = { path, buildId: null, sha256: '', fingerprint: null, stack: null, probes: [], unprobed: [], detail: `discovery failed: ${(err as Error).message}`, elapsedMs: 0, cached: false, discoveryVersion: 0 };
    }
    const placed: Array<{ name: string; kind: string; offset: number; error?: string }> = [];
    for (const p of d.probes) {
      const prog = ENTRY_PROGRAM[p.kind];
      if (!prog) continue;
      try {
        this.capture.host.attachUprobe(prog, d.path, p.fileOffset, false, -1);
        if (!NO_RETURN_PROBE.has(p.kind)) this.capture.host.attachUprobe(RETURN_PROGRAM[p.kind] ?? 'uretprobe_tls_call', d.path, p.fileOffset, true, -1);
        placed.push({ name: p.symbol ?? p.kind, kind: p.kind, offset: p.fileOffset });
      } catch (err) {
        placed.push({ name: p.symbol ?? p.kind, kind: p.kind, offset: p.fileOffset, error: (err as Error).message.split('\n')[0] });
      }
    }
    const ok = placed.filter((p) => !p.error);
    if (d.stack === 'rustls-aws-lc' && ok.length > 0) this.attachSocketPrograms();
    const status = ok.length > 0 ? 'attached' : d.stack ? 'error' : 'not-found';
    const unprobed = d.unprobed.length ? ` (recognised but not probed: ${d.unprobed.join(', ')})` : '';
    const row: TlsTargetRow = {
      id: this.collector.store.nextId('tls_targets'),
      path: file?.shown ?? d.path,
      buildId: d.buildId,
      sha256: d.sha256 || null,
      stack: d.stack,
      status,
      detail: `${why}; ${d.detail}${unprobed}`.trim(),
      probes: JSON.stringify(placed),
      tsNs: Date.now() * 1e6,
    };
    this.seen.set(id, row);
    this.hold?.markHandled(d.path);
    tlsCoverage(this.collector)?.noteTarget({ row, unprobed: d.unprobed });
    if (notable || d.stack !== null || d.unprobed.length > 0) this.collector.store.putTlsTarget(row);
    return row;
  }

  private attachSocketPrograms(): void {
    if (this.socketProgramsAttached) return;
    this.socketProgramsAttached = true;
    for (const p of AEAD_SOCKET_PROGRAMS) {
      try {
        this.capture.host.attach(p);
      } catch (err) {
        this.collector.loss('tls:setup', 1, 0, `cannot attach ${p}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }

  /** The files `record -- CMD` will run (PATH, symlinks, shebangs, libraries), attached before CMD starts. */
  attachCommand(argv0: string, env: NodeJS.ProcessEnv, cwd: string): void {
    if (!this.enabled) return;
    const r = resolveCommand(argv0, env, cwd);
    const rows = r.files
      .map((f, i) => this.discoverAndAttach(f.path, `${f.role} of ${argv0} (${f.why})`, i === 0 || f.role === 'interpreter'))
      .filter((x): x is TlsTargetRow => x !== null);
    // libssl is probed for every process anyway (interpreters dlopen it): count it for programs that link it.
    this.report(r.program ?? argv0, rows);
  }

  /** A container's own libssl/GnuTLS, once per mount namespace (containers/container-libraries.ts). */
  private attachContainerLibraries(pid: number, container: string | null): void {
    const ns = mountNsOf(pid);
    if (ns === null || this.namespacesProbed.has(ns)) return;
    this.namespacesProbed.add(ns);
    for (const lib of containerTlsLibraries(pid)) {
      this.discoverAndAttach(lib.open, `system library ${lib.soname} of ${container ? `container ${container}` : `pid ${pid}'s mount namespace`}`, false, lib);
    }
  }

  /** The system's TLS libraries: interpreters (python, ruby …) dlopen them after they start. */
  attachSystemLibraries(): void {
    if (!this.enabled) return;
    let cache: Map<string, string[]>;
    try {
      cache = readLdSoCache();
    } catch {
      return;
    }
    for (const name of ['libssl.so.3', 'libssl.so.1.1', 'libgnutls.so.30']) {
      for (const p of cache.get(name) ?? []) this.discoverAndAttach(p, `system library ${name}`, false);
    }
  }

  /**
   * A traced process exec'd: attach its binary if it is new to us, then continue the process if the kernel held it
   * for that (whatever discovery found, or failed to find). probe false: only continue it (not ours to probe).
   */
  onExec(p: Pick<ProcessRow, 'exe' | 'pid' | 'kstartNs' | 'containerName'>, isAgent: boolean, probe = true): void {
    const exe = p.exe;
    try {
      if (exe === null || !exe || !this.enabled || !probe) return;
      this.hold?.renew(p.pid);
      try {
        // A container's process runs its own copy: probe the inode it maps, not the host's file of that path.
        const file = executableOf(p.pid, exe);
        if (!file) return;
        const why = `${isAgent ? 'agent executable' : 'executed by a traced process'}${file.exact ? ` (pid ${p.pid}${p.containerName ? ` in container ${p.containerName}` : ''}, another mount namespace)` : ''}`;
        if (file.exact) this.attachContainerLibraries(p.pid, p.containerName ?? null);
        const row = this.discoverAndAttach(file.open, why, isAgent, file.exact ? file : undefined);
        if (row && (isAgent || row.status === 'attached')) this.report(exe, [row]);
      } finally {
        this.capture.host.knownExe(exe);
      }
    } finally {
      this.hold?.release(p.pid, p.kstartNs);
    }
  }

  /** End of capture: hold no more execs, continue any still held; what the hold did, for the recording. */
  finish(): ExecHoldFigures | null {
    if (!this.hold?.enabled) return null;
    this.hold.stop();
    return this.hold.figures();
  }
}

/** The stacks that AGENTSIGHT_TLS_SKIP_STACKS turns off, as the name a not-probed loss gives them. */
const SKIPPABLE: Partial<Record<TlsStack, UnprobedStack>> = { gnutls: 'gnutls', go: 'go-crypto-tls' };

/**
 * AGENTSIGHT_TLS_SKIP_STACKS=gnutls,go: find these stacks but do not probe them — a way out should a stack's probes
 * misbehave on some build, and how the tests make a real client's connection a `tls:not-probed` loss. A skipped stack
 * is reported and counted exactly like one we cannot probe.
 */
function withoutSkippedStacks(d: TlsDiscovery): TlsDiscovery {
  const skip = (process.env['AGENTSIGHT_TLS_SKIP_STACKS'] ?? '').split(',').map((x) => x.trim());
  const as = d.stack ? SKIPPABLE[d.stack] : undefined;
  if (!d.stack || !as || !skip.includes(d.stack)) return d;
  return { ...d, stack: null, probes: [], unprobed: [...d.unprobed, as], detail: `${d.detail}\n${d.stack}: not probed (AGENTSIGHT_TLS_SKIP_STACKS)` };
}
