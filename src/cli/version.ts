/**
 * `agentsight --version`: the version, the commit the package was built from (dist/build-info.json, written by
 * `make ts`) and what this kernel offers capture. Cheap: a few stat calls, nothing loaded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { systemRequirements } from '../collector/system-requirements';

interface BuildInfo {
  commit: string;
  date: string;
}

const ROOT = path.resolve(__dirname, '..', '..');

export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function buildInfo(): BuildInfo | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'build-info.json'), 'utf8')) as BuildInfo;
  } catch {
    return null;
  }
}

export function versionText(): string {
  const info = buildInfo();
  const built = info ? `built from ${info.commit} on ${info.date}` : 'build information missing (dist/build-info.json)';
  const features = systemRequirements()
    .map((r) => `${r.name} ${r.ok ? 'yes' : 'no'}`)
    .join(', ');
  return `agentsight ${packageVersion()} (${built})\nthis kernel: ${features}; kprobes and fentry are not used`;
}
