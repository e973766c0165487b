/** How a process is named and how it ended, the same in every view. */
import type { ProcessRow } from '../store/types';
import { signalName } from './errno';

/** How a process ended as of atNs: 'exit 3', 'killed SIGKILL', 'killed SIGSEGV (core)', 'running'. */
export function exitStatus(p: ProcessRow, atNs = Number.MAX_VALUE): string {
  if (p.exitNs === null || p.exitNs > atNs) return 'running';
  if (p.exitSignal !== null && p.exitSignal !== 0) return `killed ${signalName(p.exitSignal)}${p.coreDumped ? ' (core)' : ''}`;
  if (p.exitCode !== null) return `exit ${p.exitCode}`;
  return 'exited';
}

/** How long a process ran (until atNs if it was still running then). */
export function processDurationNs(p: ProcessRow, atNs: number): number {
  const end = p.exitNs !== null && p.exitNs <= atNs ? p.exitNs : atNs;
  return Math.max(0, end - p.startNs);
}

/** Characters a shell reads as a plain word: anything else is quoted. */
const SAFE_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** argv as a shell would need it typed: quoted where needed, so `bash -c 'a && b'` reads as one argument. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (a !== '' && SAFE_ARG.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The name to show for a process: argv[0]'s basename, else comm. */
export function processName(p: ProcessRow): string {
  const a0 = p.argv[0];
  if (a0) return a0.slice(a0.lastIndexOf('/') + 1) || p.comm;
  return p.comm;
}

/** Where a container's process ran, "[NAME pid N]" (N: its pid inside the container); '' for a host process. */
export function containerLabel(p: Pick<ProcessRow, 'containerName' | 'containerId' | 'nsPid'>): string {
  const name = p.containerName ?? p.containerId?.slice(0, 12);
  if (!name) return '';
  return `[${name}${p.nsPid !== null && p.nsPid !== undefined ? ` pid ${p.nsPid}` : ''}]`;
}
