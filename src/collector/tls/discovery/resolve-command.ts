/**
 * resolveCommand(argv0, env): for `agentsight record -- CMD`, which files will hold the TLS code of what
 * CMD execs — so probes are attached before the program starts.
 *
 * Handles PATH lookup, symlinks, `#!` interpreters (including `#!/usr/bin/env [-S] node`), and the shared
 * libraries an ELF program loads (DT_NEEDED closure) that may implement TLS. Shell scripts that exec another
 * program are out of scope (reported in `notes`; the collector's /proc/<pid>/maps path catches those later).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ElfFile } from './elf-file';
import { createLibraryResolver } from './ld-cache';
import { isTlsLibraryName } from './tls-libraries';

export interface ResolvedFile {
  readonly path: string;
  /** 'executable' | 'interpreter' | 'needed' (DT_NEEDED) | 'dlopen' (interpreters load libssl at run time). */
  readonly role: 'executable' | 'interpreter' | 'needed' | 'dlopen';
  readonly why: string;
}

export interface ResolvedCommand {
  /** The ELF program that will run (after shebangs), or null. */
  readonly program: string | null;
  /** Files to run discoverTls on (program first), each once. */
  readonly files: ResolvedFile[];
  readonly notes: string[];
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'fish', 'busybox']);
/** Interpreters whose TLS module loads libssl with dlopen, invisible in DT_NEEDED. */
const DLOPEN_TLS_INTERPRETERS = /^(python[\d.]*|perl[\d.]*|ruby[\d.]*|php[\d.]*)$/;
const MAX_SHEBANG_DEPTH = 4;
const MAX_LIBRARIES = 512;

export function resolveCommand(argv0: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ResolvedCommand {
  const notes: string[] = [];
  const files: ResolvedFile[] = [];
  const add = (f: ResolvedFile): void => {
    if (!files.some((x) => x.path === f.path)) files.push(f);
  };

  let current = findExecutable(argv0, env, cwd);
  if (!current) return { program: null, files, notes: [`${argv0}: not found${argv0.includes('/') ? '' : ' in PATH'}`] };
  let role: ResolvedFile['role'] = 'executable';
  for (let depth = 0; depth <= MAX_SHEBANG_DEPTH; depth++) {
    const real = safeRealpath(current);
    if (real !== current) notes.push(`${current} → ${real}`);
    const head = readHead(real, 256);
    if (head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46) {
      add({ path: real, role, why: role === 'executable' ? `program ${argv0}` : `interpreter of ${argv0}` });
      addLibraries(real, env, add, notes);
      return { program: real, files, notes };
    }
    if (head[0] === 0x23 && head[1] === 0x21) {
      const shebang = parseShebang(head);
      if (!shebang) return { program: null, files, notes: [...notes, `${real}: unreadable #! line`] };
      let interp = shebang.interpreter;
      let args = shebang.args;
      if (path.basename(interp) === 'env') {
        // `#!/usr/bin/env node` / `#!/usr/bin/env -S node --flag`: the program is looked up in PATH.
        const words = args.filter((a) => !a.startsWith('-'));
        if (words.length === 0) return { program: null, files, notes: [...notes, `${real}: #!${interp} without a program`] };
        notes.push(`${real}: #!${interp} ${args.join(' ')}`);
        const found = findExecutable(words[0], env, cwd);
        if (!found) return { program: null, files, notes: [...notes, `${words[0]} (from ${real}'s #! line) not found in PATH`] };
        interp = found;
        args = [];
      } else notes.push(`${real}: #!${interp}${args.length ? ' ' + args.join(' ') : ''}`);
      if (SHELLS.has(path.basename(interp))) {
        // A shell script may exec anything; following it would mean interpreting the script.
        notes.push(`${real} is a ${path.basename(interp)} script: what it execs is out of scope here (found later from /proc/<pid>/maps)`);
        const shell = safeRealpath(interp);
        add({ path: shell, role: 'interpreter', why: `shell of ${real}` });
        return { program: shell, files, notes };
      }
      current = interp;
      role = 'interpreter';
      continue;
    }
    return { program: null, files, notes: [...notes, `${real}: neither ELF nor #! script`] };
  }
  return { program: null, files, notes: [...notes, `more than ${MAX_SHEBANG_DEPTH} nested #! interpreters`] };
}

/** PATH lookup as execvp does it (names with a slash are taken as paths relative to cwd). */
export function findExecutable(name: string, env: NodeJS.ProcessEnv, cwd: string): string | null {
  if (name.includes('/')) {
    const p = path.resolve(cwd, name);
    return isExecutableFile(p) ? p : null;
  }
  const dirs = (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':');
  for (const d of dirs) {
    const p = path.resolve(cwd, d || '.', name);
    if (isExecutableFile(p)) return p;
  }
  return null;
}

function isExecutableFile(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function parseShebang(head: Buffer): { interpreter: string; args: string[] } | null {
  const nl = head.indexOf(0x0a);
  const line = head.toString('utf8', 2, nl < 0 ? head.length : nl).trim();
  if (!line) return null;
  const [interpreter, ...args] = line.split(/\s+/);
  if (!interpreter.startsWith('/')) return null;
  // Linux passes everything after the interpreter as one argument; `env -S` splits it again. Keeping the
  // words split is what both cases need here (we only look for the program name).
  return { interpreter, args };
}

function addLibraries(program: string, env: NodeJS.ProcessEnv, add: (f: ResolvedFile) => void, notes: string[]): void {
  let elf: ElfFile;
  try {
    elf = ElfFile.open(program);
  } catch (err) {
    notes.push(`${program}: ${(err as Error).message}`);
    return;
  }
  const machine = elf.machine;
  const first = elf.dynamicInfo();
  elf.close();
  if (!first.interp && first.needed.length === 0) {
    notes.push(`${program}: statically linked (TLS, if any, is inside the program)`);
    return;
  }
  const resolver = createLibraryResolver(env);
  const queue: { path: string; needed: string[]; runpath: string[] }[] = [{ path: program, needed: first.needed, runpath: first.runpath }];
  const visited = new Set<string>([program]);
  let foundTls = false;
  const missing: string[] = [];
  while (queue.length > 0 && visited.size < MAX_LIBRARIES) {
    const obj = queue.shift()!;
    for (const soname of obj.needed) {
      const lib = resolver.resolve(soname, { path: obj.path, runpath: obj.runpath, machine });
      if (!lib) {
        missing.push(soname);
        continue;
      }
      const real = safeRealpath(lib);
      if (visited.has(real)) continue;
      visited.add(real);
      if (isTlsLibraryName(soname) || isTlsLibraryName(path.basename(real))) {
        foundTls = true;
        add({ path: real, role: 'needed', why: `${soname} needed by ${path.basename(obj.path)}` });
      }
      try {
        const e = ElfFile.open(real);
        const d = e.dynamicInfo();
        e.close();
        queue.push({ path: real, needed: d.needed, runpath: d.runpath });
      } catch {
        /* unreadable library: its own dependencies stay unknown */
      }
    }
  }
  if (missing.length) notes.push(`unresolved DT_NEEDED: ${[...new Set(missing)].join(', ')}`);
  if (!foundTls && DLOPEN_TLS_INTERPRETERS.test(path.basename(program))) {
    for (const soname of ['libssl.so.3', 'libssl.so.1.1']) {
      const lib = resolver.resolve(soname, { path: program, runpath: first.runpath, machine });
      if (lib) {
        add({ path: safeRealpath(lib), role: 'dlopen', why: `${path.basename(program)} loads ${soname} at run time (ssl module)` });
        break;
      }
    }
  }
}

function readHead(p: string, n: number): Buffer {
  try {
    const fd = fs.openSync(p, 'r');
    try {
      const b = Buffer.alloc(n);
      const got = fs.readSync(fd, b, 0, n, 0);
      return b.subarray(0, got);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return Buffer.alloc(0);
  }
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}
