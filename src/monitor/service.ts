/**
 * `agentsight monitor install-service | uninstall-service`: a systemd system unit that runs the monitor from boot
 * and restarts it when it fails. The unit names the node binary and this installation's launcher by absolute path
 * (systemd runs it without a login shell's PATH). Installing writes the unit, then enables and starts it when systemd
 * is the init system; otherwise it says what is left to do.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const UNIT_NAME = 'agentsight-monitor.service';
export const UNIT_DIR = '/etc/systemd/system';

export interface UnitOptions {
  /** Absolute path of node. */
  node: string;
  /** Absolute path of bin/agentsight. */
  launcher: string;
  /** This installation's man page file (a man: link makes systemd-analyze verify run `man`, and npm installs none). */
  docs: string;
  /** The monitor's arguments after `monitor` (--dir …), already checked. */
  args: string[];
}

/** The launcher of this installation (bin/agentsight beside dist/). */
export function installedLauncher(): string {
  return fs.realpathSync(path.join(__dirname, '..', '..', 'bin', 'agentsight'));
}

export function installedDocs(): string {
  return path.resolve(__dirname, '..', '..', 'man', 'agentsight.1');
}

export function unitText(o: UnitOptions): string {
  const exec = [o.node, o.launcher, 'monitor', ...o.args].map(quoteArg).join(' ');
  return `# Written by \`agentsight monitor install-service\`; remove with \`agentsight monitor uninstall-service\`.
[Unit]
Description=agentsight monitor: records every AI coding agent session on this machine
Documentation=file:${o.docs}
After=local-fs.target

[Service]
Type=simple
ExecStart=${exec}
# SIGTERM finalises every recording; loading the probes for each user takes seconds, so give the stop time.
KillSignal=SIGTERM
TimeoutStopSec=90
Restart=on-failure
RestartSec=5
# BPF maps and ring buffers are locked memory on kernels before 5.11.
LimitMEMLOCK=infinity

[Install]
WantedBy=multi-user.target
`;
}

/** systemd's quoting: arguments with spaces, quotes or specifiers are double-quoted, `%` doubled. */
function quoteArg(a: string): string {
  const s = a.replace(/%/g, '%%');
  return /[\s"'\\$;]/.test(s) ? `"${s.replace(/(["\\])/g, '\\$1')}"` : s;
}

/** systemd is PID 1 here (sd_booted: /run/systemd/system exists). */
export function systemdRunning(): boolean {
  return fs.existsSync('/run/systemd/system');
}

export function installService(unit: string, unitDir: string, log: (l: string) => void): void {
  const file = path.join(unitDir, UNIT_NAME);
  fs.mkdirSync(unitDir, { recursive: true });
  // Replaced atomically: a half-written unit must never be what systemd reads.
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, unit, { mode: 0o644 });
  fs.renameSync(tmp, file);
  log(`wrote ${file}`);
  if (unitDir === UNIT_DIR && systemdRunning()) {
    execFileSync('systemctl', ['daemon-reload'], { stdio: 'inherit' });
    execFileSync('systemctl', ['enable', '--now', UNIT_NAME], { stdio: 'inherit' });
    log(`enabled and started ${UNIT_NAME}; see \`agentsight monitor status\` and \`journalctl -u ${UNIT_NAME}\``);
  } else {
    log(`systemd is not running here: enable it later with \`systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}\``);
  }
}

/** false: there was no unit to remove. */
export function uninstallService(unitDir: string, log: (l: string) => void): boolean {
  const file = path.join(unitDir, UNIT_NAME);
  if (!fs.existsSync(file)) return false;
  if (unitDir === UNIT_DIR && systemdRunning()) {
    // Stopping finalises the recordings (SIGTERM); they stay where they are.
    execFileSync('systemctl', ['disable', '--now', UNIT_NAME], { stdio: 'inherit' });
  }
  fs.rmSync(file);
  if (unitDir === UNIT_DIR && systemdRunning()) execFileSync('systemctl', ['daemon-reload'], { stdio: 'inherit' });
  log(`removed ${file} (the recordings are kept)`);
  return true;
}
