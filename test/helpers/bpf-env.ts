/**
 * Gate for tests that need root and BPF. Without them the test is skipped with a loud reason — except when
 * AGENTSIGHT_REQUIRE_BPF=1 (CI), where a missing capability fails the run instead of silently skipping.
 */
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'bin', 'agentsight');

/** Why BPF tests cannot run here (null when they can), optionally requiring some probe groups' objects. */
export function bpfUnavailableReason(groups: readonly string[] = []): string | null {
  const base = why();
  if (base) return base;
  for (const g of groups) if (!fs.existsSync(path.join(ROOT, 'bpf', '.output', `${g}.bpf.o`))) return `bpf/.output/${g}.bpf.o missing (make bpf)`;
  return null;
}

function why(): string | null {
  if (process.geteuid?.() !== 0) return 'not root';
  if (!fs.existsSync(path.join(ROOT, 'build', 'Release', 'agentsight.node'))) return 'native addon not built (make setup)';
  if (!fs.existsSync(path.join(ROOT, 'bpf', '.output', 'process.bpf.o'))) return 'BPF objects not built (make setup)';
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'index.js'))) return 'TypeScript not built (make setup)';
  if (!fs.existsSync('/sys/kernel/btf/vmlinux')) return 'kernel without BTF';
  if (!fs.existsSync('/sys/kernel/tracing/events') && !fs.existsSync('/sys/kernel/debug/tracing/events')) return 'tracefs not mounted';
  return null;
}

/** true when BPF tests can run; logs the reason and returns false otherwise; throws under AGENTSIGHT_REQUIRE_BPF=1. */
export function bpfAvailable(): boolean {
  const reason = why();
  if (!reason) return true;
  if (process.env['AGENTSIGHT_REQUIRE_BPF'] === '1') {
    throw new Error(`BPF tests required (AGENTSIGHT_REQUIRE_BPF=1) but unavailable: ${reason}`);
  }
  console.warn(`\n*** SKIPPING BPF TESTS: ${reason} ***\n`);
  return false;
}
