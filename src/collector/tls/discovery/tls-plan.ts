/**
 * One call for the recorder: which (file, offset, kind) uprobes to attach for a command about to be run or a
 * process already running, plus the warnings to show when TLS plaintext will not be visible.
 */
import * as path from 'path';
import { discoverTls, DiscoverOptions } from './discover-tls';
import { listTlsFilesOfPid } from './proc-maps';
import { resolveCommand } from './resolve-command';
import { TlsDiscovery } from './types';

export interface TlsPlan {
  /** One entry per analysed file, in the order they were considered (program first). */
  readonly discoveries: TlsDiscovery[];
  /** Human-readable reasons why some or all TLS traffic may stay invisible; empty when all is covered. */
  readonly warnings: string[];
  /** Notes from command resolution (symlinks, #! lines, unresolved libraries). */
  readonly notes: string[];
}

/** Files are probed by path: a library shared by several programs is analysed once (and cached by build-id). */
export function planTlsForCommand(argv0: string, env: NodeJS.ProcessEnv = process.env, options: DiscoverOptions = {}): TlsPlan {
  const rc = resolveCommand(argv0, env);
  const discoveries = rc.files.map((f) => discoverTls(f.path, options));
  const warnings = warningsFor(discoveries);
  if (!rc.program) warnings.unshift(`${argv0}: cannot tell what it runs (${rc.notes.join('; ')})`);
  else if (rc.notes.some((n) => n.includes('out of scope'))) warnings.push(`${argv0} is a shell script: TLS of the programs it starts is found when they exec`);
  return { discoveries, warnings, notes: rc.notes };
}

/** The same for a running process, from what it has mapped now. */
export function planTlsForPid(pid: number, options: DiscoverOptions = {}): TlsPlan {
  const mapped = listTlsFilesOfPid(pid);
  if (mapped.error) return { discoveries: [], warnings: [`pid ${pid}: ${mapped.error}`], notes: [] };
  const discoveries = mapped.files.map((f) => discoverTls(f.openPath, options));
  return { discoveries, warnings: warningsFor(discoveries), notes: mapped.files.filter((f) => f.deleted).map((f) => `${f.path} was replaced on disk after pid ${pid} mapped it`) };
}

function warningsFor(discoveries: readonly TlsDiscovery[]): string[] {
  const warnings: string[] = [];
  const probed = discoveries.filter((d) => d.stack !== null);
  for (const d of discoveries) {
    for (const u of d.unprobed) {
      warnings.push(
        u === 'rustls-ring' && d.stack === 'rustls-aws-lc'
          ? `${path.basename(d.path)} links rustls with both aws-lc (probed) and ring (not probed): if it selects ring at run time, its traffic stays encrypted`
          : `${path.basename(d.path)} contains ${describe(u)}, which agentsight does not decrypt: its traffic will show as encrypted bytes only`,
      );
    }
  }
  if (probed.length === 0) {
    const last = discoveries.map((d) => `${path.basename(d.path)}: ${d.detail.split('\n').filter((l) => l.startsWith('result:') || l.includes('need')).join(' ')}`);
    warnings.push(`no TLS functions found to probe (${last.join('; ') || 'no files'})`);
  }
  return warnings;
}

function describe(u: string): string {
  switch (u) {
    case 'gnutls':
      return 'GnuTLS';
    case 'go-crypto-tls':
      return 'Go crypto/tls';
    case 'rustls-ring':
      return 'rustls with the ring provider';
    case 'nss':
      return 'NSS';
    default:
      return u;
  }
}
