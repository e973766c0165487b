/**
 * What capture needs from the running system, checked before anything loads: one clear line per missing piece
 * instead of a libbpf error three layers down. `doctor` prints the same checks; `--version` names the features.
 */
import fs from 'node:fs';
import os from 'node:os';
import { formatBytes } from '../present/units';

export interface Requirement {
  name: string;
  ok: boolean;
  /** What was found, or what is missing and how to get it. */
  detail: string;
  /** Capture cannot start without it (others only limit what is seen). */
  required: boolean;
}

const BTF = '/sys/kernel/btf/vmlinux';
const TRACEFS = ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events'];
const UPROBE_PMU = '/sys/bus/event_source/devices/uprobe/type';

/** BPF ring buffers arrived in Linux 5.8; the programs use them for every event. */
const RINGBUF_KERNEL: readonly [number, number] = [5, 8];

export function kernelRelease(): string {
  return os.release();
}

function kernelAtLeast(release: string, [maj, min]: readonly [number, number]): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return true; // an unparsable release: let the load itself say what fails
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a > maj || (a === maj && b >= min);
}

/** The system checks that need no privileges: files under /sys and the kernel release. */
export function systemRequirements(): Requirement[] {
  const release = kernelRelease();
  const btfSize = (() => {
    try {
      return fs.statSync(BTF).size;
    } catch {
      return null;
    }
  })();
  const tracefs = TRACEFS.find((p) => fs.existsSync(p)) ?? null;
  return [
    {
      name: 'kernel',
      ok: kernelAtLeast(release, RINGBUF_KERNEL),
      detail: kernelAtLeast(release, RINGBUF_KERNEL) ? `Linux ${release}` : `Linux ${release}: BPF ring buffers need ${RINGBUF_KERNEL.join('.')} or later`,
      required: true,
    },
    {
      name: 'BTF',
      ok: btfSize !== null,
      detail: btfSize !== null ? `${BTF} (${formatBytes(btfSize)})` : `no ${BTF}: the kernel must be built with CONFIG_DEBUG_INFO_BTF (CO-RE programs need it)`,
      required: true,
    },
    {
      name: 'tracefs',
      ok: tracefs !== null,
      detail: tracefs !== null ? tracefs.replace(/\/events$/, '') : 'not mounted: run `mount -t tracefs nodev /sys/kernel/tracing` (tracepoints attach through it)',
      required: true,
    },
    {
      name: 'uprobes',
      ok: fs.existsSync(UPROBE_PMU),
      detail: fs.existsSync(UPROBE_PMU) ? 'uprobe PMU present (TLS plaintext)' : 'no uprobe PMU (CONFIG_UPROBE_EVENTS): TLS plaintext cannot be read, processes/files/network can',
      required: false,
    },
  ];
}

/** The first required check that fails, as the one line a user sees; null when capture can start. */
export function missingRequirement(reqs: readonly Requirement[] = systemRequirements()): string | null {
  const bad = reqs.find((r) => r.required && !r.ok);
  return bad ? `${bad.name}: ${bad.detail}` : null;
}
