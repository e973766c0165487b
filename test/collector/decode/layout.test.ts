// The TypeScript decoders' idea of every record layout must equal the C compiler's: compile a probe program that
// includes the real headers and prints sizeof/offsetof for every field the decoders read.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKED_LAYOUTS } from '../../../src/collector/decode/layout';
import { ROOT } from '../../helpers/bpf-env';

describe('record layouts match bpf/*.h', () => {
  it('every size and offset agrees with the C compiler', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layout-'));
    const headers = [...new Set(CHECKED_LAYOUTS.map((l) => l.header))];
    const lines: string[] = [];
    for (const { layout } of CHECKED_LAYOUTS) {
      lines.push(`printf("${layout.cName} :sizeof %zu\\n", sizeof(struct ${layout.cName}));`);
      for (const [field, [, type]] of Object.entries(layout.fields)) {
        lines.push(`printf("${layout.cName} ${field} %zu\\n", offsetof(struct ${layout.cName}, ${field}));`);
        if (type === 'comm') lines.push(`printf("${layout.cName} ${field}:size %zu\\n", sizeof(((struct ${layout.cName} *)0)->${field}));`);
      }
    }
    const src = `#include <stdio.h>\n#include <stddef.h>\n${headers.map((h) => `#include "${path.join(ROOT, 'bpf', h)}"`).join('\n')}\nint main(void) {\n${lines.join('\n')}\nreturn 0;\n}\n`;
    fs.writeFileSync(path.join(dir, 'probe.c'), src);
    execFileSync('cc', ['-o', path.join(dir, 'probe'), path.join(dir, 'probe.c')]);
    const out = execFileSync(path.join(dir, 'probe'), { encoding: 'utf8' });
    const c = new Map(out.trim().split('\n').map((l) => {
      const parts = l.split(' ');
      return [`${parts[0]} ${parts[1]}`, Number(parts[2])] as const;
    }));
    for (const { layout } of CHECKED_LAYOUTS) {
      expect(c.get(`${layout.cName} :sizeof`), `${layout.cName} size`).toBe(layout.size);
      for (const [field, [offset, type]] of Object.entries(layout.fields)) {
        expect(c.get(`${layout.cName} ${field}`), `${layout.cName}.${field} offset`).toBe(offset);
        if (type === 'comm') expect(c.get(`${layout.cName} ${field}:size`)).toBe(16);
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
