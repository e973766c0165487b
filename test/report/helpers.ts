/** In-process runs of `agentsight report …` with captured output, and a realistic recording built through the store. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import Ajv2020 from 'ajv/dist/2020';
import { registerReportCommand } from '../../src/report';
import type { ReportIo } from '../../src/report/io';

export class TestExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export async function runReport(args: string[], opts: { cwd: string; env?: Record<string, string | undefined>; isTTY?: boolean }): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const io: ReportIo = {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    env: { NO_COLOR: undefined, TZ: process.env['TZ'], ...(opts.env ?? {}) },
    cwd: opts.cwd,
    isTTY: opts.isTTY ?? false,
    setExitCode: (c) => void (code = c),
    exit: (c) => {
      throw new TestExit(c);
    },
  };
  const program = new Command('agentsight').exitOverride();
  registerReportCommand(program, io);
  try {
    await program.parseAsync(['report', ...args], { from: 'user' });
  } catch (err) {
    if (!(err instanceof TestExit)) throw err;
    code = err.code;
  }
  return { stdout, stderr, code };
}

export function tempDir(prefix = 'agentsight-report-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const SCHEMA_DIR = path.join(__dirname, '..', '..', 'docs', 'schemas');

let ajv: Ajv2020 | null = null;

/** Validate against docs/schemas/<name>.schema.json; returns ajv's error text, or null when valid. */
export function schemaErrors(name: string, value: unknown): string | null {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: true });
    for (const f of fs.readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.schema.json'))) {
      ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')));
    }
  }
  const validate = ajv.getSchema(`${name}.schema.json`);
  if (!validate) throw new Error(`no schema ${name}.schema.json in ${SCHEMA_DIR}`);
  return validate(value) ? null : ajv.errorsText(validate.errors, { separator: '\n' });
}
