/**
 * The one gate for tests that need root and BPF: describeBpf() and itBpf(). Where capture works the tests run; where
 * it does not they are skipped with the reason printed — except under AGENTSIGHT_REQUIRE_BPF=1 (CI, `make test` as
 * root), where a missing capability is a failing test, never a skip.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'bin', 'agentsight');

const REQUIRED = process.env['AGENTSIGHT_REQUIRE_BPF'] === '1';

/** Why BPF tests cannot run here (null when they can), optionally requiring some probe groups' objects. */
export function bpfUnavailableReason(groups: readonly string[] = []): string | null {
  if (process.geteuid?.() !== 0) return 'not root';
  if (!fs.existsSync(path.join(ROOT, 'build', 'Release', 'agentsight.node'))) return 'native addon not built (make setup)';
  if (!fs.existsSync(path.join(ROOT, 'bpf', '.output', 'process.bpf.o'))) return 'BPF objects not built (make setup)';
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'index.js'))) return 'TypeScript not built (make setup)';
  if (!fs.existsSync('/sys/kernel/btf/vmlinux')) return 'kernel without BTF';
  if (!fs.existsSync('/sys/kernel/tracing/events') && !fs.existsSync('/sys/kernel/debug/tracing/events')) return 'tracefs not mounted';
  for (const g of groups) if (!fs.existsSync(path.join(ROOT, 'bpf', '.output', `${g}.bpf.o`))) return `bpf/.output/${g}.bpf.o missing (make bpf)`;
  return null;
}

export interface BpfGate {
  /** Probe groups whose objects must be built (bpf/.output/<group>.bpf.o). */
  groups?: readonly string[];
  /** A kernel capability beyond the default ones is missing (e.g. writable uprobe_events): its reason. */
  unavailable?: string | null;
  /** A prerequisite that is not BPF (an opt-out variable, a toolchain) is missing: skipped loudly in every mode. */
  skip?: string | null;
}

function gate(name: string, o: BpfGate): 'run' | 'fail' | 'skip' {
  const optOut = o.skip ?? null;
  if (optOut) {
    console.warn(`\n*** SKIPPED ${name}: ${optOut} ***\n`);
    return 'skip';
  }
  const why = bpfUnavailableReason(o.groups) ?? o.unavailable ?? null;
  if (!why) return 'run';
  if (REQUIRED) return 'fail';
  console.warn(`\n*** SKIPPED ${name}: BPF capture unavailable (${why}); set AGENTSIGHT_REQUIRE_BPF=1 to fail instead ***\n`);
  return 'skip';
}

function requiredError(o: BpfGate): Error {
  const why = bpfUnavailableReason(o.groups) ?? o.unavailable;
  return new Error(`AGENTSIGHT_REQUIRE_BPF=1 but BPF capture is unavailable: ${why}`);
}

/** describe() for tests that need BPF capture (see the file's comment). */
export function describeBpf(name: string, groups: readonly string[], fn: () => void, more: Omit<BpfGate, 'groups'> = {}): void {
  const o = { ...more, groups };
  const g = gate(name, o);
  if (g === 'run') describe(name, fn);
  else if (g === 'skip') describe.skip(name, fn);
  else describe(name, () => it('needs BPF capture', () => { throw requiredError(o); }));
}

/** it() for a test that needs BPF capture inside a describe that does not (see the file's comment). */
export function itBpf(name: string, fn: () => Promise<void> | void, o: BpfGate & { timeout?: number } = {}): void {
  const g = gate(name, o);
  if (g === 'run') it(name, fn, o.timeout);
  else if (g === 'skip') it.skip(name, fn);
  else it(name, () => { throw requiredError(o); });
}
