// Discovery must hold across Bun releases: every `bun build --compile` agent carries the BoringSSL of its Bun, and
// releases differ (functions move, inline and split; these builds have no .eh_frame_hdr, and in 1.3.14 ssl_read_impl
// and SSL_write lie end to end without padding). The last patch of every minor from 1.1 to 1.4, from npm, each as
// the runtime and as a compiled program. The capture itself is proved byte-exact in test/e2e/tls-capture.test.ts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverTls } from '../../../../src/collector/tls/discovery';
import { ElfFile } from '../../../../src/collector/tls/discovery/elf-file';
import { bunVersions } from '../../../helpers/agents';

export const BUN_MINORS = ['1.1', '1.2', '1.3', '1.4'];

let dir: string;
let bins: Record<string, string>;

describe('BoringSSL discovery in every Bun minor (runtime and bun build --compile)', () => {
  beforeAll(() => {
    bins = bunVersions();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-bunv-'));
    fs.writeFileSync(path.join(dir, 'app.mjs'), 'console.log(Bun.version)\n');
  }, 900_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('one release per minor is installed', () => {
    expect(BUN_MINORS.map((m) => Object.keys(bins).find((v) => v.startsWith(`${m}.`)) !== undefined)).toEqual(BUN_MINORS.map(() => true));
  });

  for (const minor of BUN_MINORS) {
    it(`bun ${minor}.x: SSL_write, SSL_read and SSL_do_handshake, in the runtime and in a compiled program, at the same code`, () => {
      const version = Object.keys(bins).find((v) => v.startsWith(`${minor}.`))!;
      const bun = bins[version];
      const compiled = path.join(dir, `app-${version}`);
      execFileSync(bun, ['build', '--compile', path.join(dir, 'app.mjs'), '--outfile', compiled], { cwd: dir, stdio: 'ignore', timeout: 120_000 });
      expect(execFileSync(compiled, { encoding: 'utf8' }).trim()).toBe(version);
      const found: Array<Record<string, number>> = [];
      for (const f of [bun, compiled]) {
        const r = discoverTls(f, { useCache: false });
        expect(r.stack, `${f}\n${r.detail}`).toBe('boringssl');
        // SSL_do_handshake ends a connection whose SSL* address is reused (no SSL_free here): tls-bun-sequential.test.ts
        expect(r.probes.map((p) => p.kind).sort()).toEqual(['SSL_do_handshake', 'SSL_read', 'SSL_write']);
        const elf = ElfFile.open(f);
        try {
          for (const p of r.probes) expect(elf.vaddrToOffset(p.vaddr)).toBe(p.fileOffset);
        } finally {
          elf.close();
        }
        found.push(Object.fromEntries(r.probes.map((p) => [p.kind, p.vaddr])));
      }
      // A compiled program is the runtime plus its bundle: the same functions at the same addresses.
      expect(found[1]).toEqual(found[0]);
    }, 300_000);
  }
});
