/**
 * The `npm ci` fixture of the files bench: a project whose package-lock.json installs every package of this
 * checkout's node_modules from local `file:` tarballs, so `npm ci --offline` does a real install — reads the lock,
 * checks each tarball's integrity, unpacks ~10,000 files, links bins — with no network.
 *
 * Each package is packed with `npm pack` from a copy whose package.json lost its dependency fields and scripts:
 * the packages are all installed side by side at the top level (as the hoisted tree already has them), and an
 * install script (better-sqlite3's compiles or downloads; npm adds `node-gyp rebuild` for any binding.gyp, so that
 * goes too) would measure a compiler or fail offline, not file capture. The files themselves are the published ones.
 *
 * Built once into .cache/ and reused; the bench copies the project into tmpfs for its runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../native/addon';

/** bump when the way the fixture is built changes, so an old one is not reused */
const FIXTURE_VERSION = 2;
const DROPPED_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'devDependencies', 'bundleDependencies', 'bundledDependencies', 'scripts', 'workspaces'];

export interface NpmCiFixture {
  /** project directory: package.json, package-lock.json, tarballs/ */
  project: string;
  packages: number;
  /** files in all tarballs (what `npm ci` unpacks) */
  files: number;
}

/** package directories directly under node_modules (scoped ones included), skipping symlinks and npm's own files */
function packageDirs(nodeModules: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(nodeModules).sort()) {
    if (name.startsWith('.')) continue;
    const p = path.join(nodeModules, name);
    if (name.startsWith('@')) {
      for (const sub of fs.readdirSync(p).sort()) {
        const q = path.join(p, sub);
        if (!fs.lstatSync(q).isSymbolicLink() && fs.existsSync(path.join(q, 'package.json'))) out.push(q);
      }
    } else if (!fs.lstatSync(p).isSymbolicLink() && fs.existsSync(path.join(p, 'package.json'))) {
      out.push(p);
    }
  }
  return out;
}

function npm(args: string[], cwd: string): string {
  const r = spawnSync('npm', [...args, '--loglevel=error'], { cwd, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`npm ${args[0]} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function npmCiFixture(): NpmCiFixture {
  const root = path.join(PACKAGE_ROOT, '.cache', `npm-ci-fixture-v${FIXTURE_VERSION}`);
  const ready = path.join(root, 'ready.json');
  if (fs.existsSync(ready)) return { ...(JSON.parse(fs.readFileSync(ready, 'utf8')) as NpmCiFixture), project: path.join(root, 'project') };

  fs.rmSync(root, { recursive: true, force: true });
  const project = path.join(root, 'project');
  const tarballs = path.join(project, 'tarballs');
  fs.mkdirSync(tarballs, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-npm-fixture-'));
  try {
    const staged: string[] = [];
    for (const dir of packageDirs(path.join(PACKAGE_ROOT, 'node_modules'))) {
      const to = path.join(tmp, 'stage', String(staged.length));
      fs.cpSync(dir, to, { recursive: true, filter: (src) => path.basename(src) !== 'node_modules' || src === dir });
      const pj = JSON.parse(fs.readFileSync(path.join(to, 'package.json'), 'utf8')) as Record<string, unknown>;
      if (typeof pj['name'] !== 'string' || typeof pj['version'] !== 'string') continue;
      for (const f of DROPPED_FIELDS) delete pj[f];
      // npm gives a package with a binding.gyp a default install script (`node-gyp rebuild`) even without scripts
      fs.rmSync(path.join(to, 'binding.gyp'), { force: true });
      fs.writeFileSync(path.join(to, 'package.json'), JSON.stringify(pj, null, 2));
      staged.push(to);
    }
    const packed = JSON.parse(npm(['pack', ...staged, '--pack-destination', tarballs, '--ignore-scripts', '--json'], tmp)) as Array<{ name: string; filename: string; entryCount: number }>;
    const dependencies: Record<string, string> = {};
    for (const p of packed) dependencies[p.name] = `file:tarballs/${p.filename}`;
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'agentsight-npm-ci-fixture', version: '1.0.0', private: true, dependencies }, null, 2));
    npm(['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--cache', path.join(tmp, 'cache')], project);
    const fixture: NpmCiFixture = { project, packages: packed.length, files: packed.reduce((a, p) => a + p.entryCount, 0) };
    fs.writeFileSync(ready, JSON.stringify(fixture));
    return fixture;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
