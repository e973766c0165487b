/** What every report command gets: where to write, how to print times and whether to colour. */
import path from 'node:path';
import { Clock } from '../present';
import { Painter, colorEnabled } from './format';
import type { ReportIo } from './io';

export interface CommonOptions {
  db?: string;
  dir?: string;
  json?: boolean;
  utc?: boolean;
}

export interface ReportContext {
  readonly io: ReportIo;
  readonly clock: Clock;
  readonly painter: Painter;
  readonly json: boolean;
  /** Directory the recordings are looked up in (--dir, else the cwd). */
  readonly dir: string;
}

export function makeContext(io: ReportIo, opts: CommonOptions): ReportContext {
  const json = Boolean(opts.json);
  return {
    io,
    clock: new Clock(Boolean(opts.utc)),
    painter: new Painter(!json && colorEnabled(io.env, io.isTTY)),
    json,
    dir: opts.dir ? path.resolve(io.cwd, opts.dir) : io.cwd,
  };
}

/** JSON output: two-space indented, one trailing newline. */
export function writeJson(ctx: ReportContext, value: unknown): void {
  ctx.io.out(JSON.stringify(value, null, 2) + '\n');
}
