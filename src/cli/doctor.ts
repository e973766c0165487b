/**
 * `agentsight doctor`: what works on this machine and what does not, one line per check, and why. As root it loads
 * and attaches every probe group for real (then releases them), so "ok" means capture works here, not that a file
 * exists. Exit 0 when capture can run, 1 when something it needs is missing.
 */
import fs from 'node:fs';
import { systemRequirements, type Requirement } from '../collector/system-requirements';
import { isRoot } from './privileges';

type Check = Requirement;

function addonCheck(): Check {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadAddon } = require('../native/addon') as typeof import('../native/addon');
    loadAddon();
    return { name: 'addon', ok: true, detail: 'native addon loads (libbpf, libelf found)', required: true };
  } catch (err) {
    return { name: 'addon', ok: false, detail: (err as Error).message, required: true };
  }
}

function objectsCheck(): Check {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BPF_OBJECT_DIR } = require('../native/addon') as typeof import('../native/addon');
  const want = ['process', 'file', 'net', 'tls', 'pipe'];
  const missing = want.filter((g) => !fs.existsSync(`${BPF_OBJECT_DIR}/${g}.bpf.o`));
  return missing.length === 0
    ? { name: 'BPF objects', ok: true, detail: `${want.join(', ')} in ${BPF_OBJECT_DIR}`, required: true }
    : { name: 'BPF objects', ok: false, detail: `missing ${missing.join(', ')} in ${BPF_OBJECT_DIR} (a checkout builds them with \`make setup\`)`, required: true };
}

/** Load and attach every probe group, then release them: the real test of what capture can see here. */
function probeChecks(): Check[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BpfCapture } = require('../collector/bpf-capture') as typeof import('../collector/bpf-capture');
  let cap: import('../collector/bpf-capture').BpfCapture | null = null;
  try {
    cap = BpfCapture.open({ allProcesses: false });
    const out: Check[] = [];
    for (const group of ['process', 'file', 'net', 'tls', 'pipe']) {
      const progs = cap.programs.filter((p) => p.object === group);
      if (!cap.loadedGroups.includes(group)) {
        out.push({ name: `probes: ${group}`, ok: false, detail: 'not loaded', required: group === 'process' });
        continue;
      }
      const always = progs.filter((p) => !p.section.startsWith('uprobe') && !p.section.startsWith('uretprobe') && !p.name.startsWith('lazy_'));
      const failed = always.filter((p) => !p.attached);
      const perBinary = progs.length - always.length;
      const detail =
        `${always.length - failed.length}/${always.length} attached` +
        (perBinary > 0 ? `, ${perBinary} attached per binary when a process uses them` : '') +
        (failed.length > 0 ? `; not attached: ${failed.map((p) => `${p.name} (${p.error ?? 'unknown'})`).join(', ')}` : '');
      out.push({ name: `probes: ${group}`, ok: failed.length === 0, detail, required: group === 'process' });
    }
    return out;
  } catch (err) {
    return [{ name: 'probes', ok: false, detail: (err as Error).message.split('\n')[0]!, required: true }];
  } finally {
    cap?.close();
  }
}

export function runDoctor(out: (s: string) => void = (s) => process.stdout.write(s)): number {
  const checks: Check[] = [...systemRequirements(), addonCheck(), objectsCheck()];
  const root = isRoot();
  checks.push({
    name: 'privileges',
    ok: root,
    detail: root ? 'root: capture can load probes' : 'not root: `record` and live `top` re-run themselves through sudo; `report` and `top --db` need nothing',
    required: false,
  });
  const canProbe = root && checks.every((c) => !c.required || c.ok);
  if (canProbe) checks.push(...probeChecks());
  else checks.push({ name: 'probes', ok: false, detail: root ? 'not tried: a required check above failed' : 'not tried: loading probes needs root (sudo agentsight doctor)', required: false });
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) out(`${c.ok ? 'ok  ' : c.required ? 'FAIL' : 'no  '}  ${c.name.padEnd(width)}  ${c.detail}\n`);
  const failed = checks.filter((c) => c.required && !c.ok);
  out(failed.length === 0 ? (canProbe ? 'capture works here\n' : 'capture should work here (run as root to load the probes)\n') : `capture cannot run here: ${failed.map((c) => c.name).join(', ')}\n`);
  return failed.length === 0 ? 0 : 1;
}
