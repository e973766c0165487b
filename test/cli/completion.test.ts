/**
 * Shell completions and the man page, generated from the CLI's command definitions: run through real bash, fish and
 * zsh, and rendered by real man. Each case names what a user would type and what must be offered.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/bpf-env';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'as-compl-'));
const script = (shell: string) => path.join(tmp, `agentsight.${shell}`);
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

beforeAll(() => {
  for (const sh of ['bash', 'zsh', 'fish']) fs.writeFileSync(script(sh), execFileSync(process.execPath, [CLI, 'completion', sh]));
});

/** What bash offers for the words typed so far (the last one being completed). */
function bashOffers(words: string[]): string[] {
  const body = `source ${script('bash')}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _agentsight; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', body], { cwd: tmp, encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('shell completions', () => {
  it('bash completes subcommands, nested subcommands, options, inherited options and paths', () => {
    expect(bashOffers(['agentsight', 're'])).toEqual(['record', 'report']);
    expect(bashOffers(['agentsight', 'report', ''])).toEqual(expect.arrayContaining(['list', 'prompts', 'token', 'audit', 'export']));
    expect(bashOffers(['agentsight', 'record', '--d'])).toEqual(['--db', '--duration']);
    // report's own options hold after its subcommand; --group-by's value is skipped.
    expect(bashOffers(['agentsight', 'report', 'token', '--group-by', 'day', '--js'])).toEqual(['--json']);
    fs.writeFileSync(path.join(tmp, 'run1.db'), '');
    expect(bashOffers(['agentsight', 'top', '--db', 'run1'])).toEqual(['run1.db']);
    expect(bashOffers(['agentsight', 'record', '--', 'bas'])).toContain('bash');
  });

  it.skipIf(!has('fish'))('fish completes subcommands with their descriptions, and inherited options', () => {
    const offers = (line: string) => execFileSync('fish', ['-c', `source ${script('fish')}; complete -C '${line}'`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(offers('agentsight rep')[0]).toMatch(/^report\tsummarise a recording/);
    expect(offers('agentsight report to').map((l) => l.split('\t')[0])).toEqual(['token']);
    expect(offers('agentsight report token --js').map((l) => l.split('\t')[0])).toEqual(['--json']);
  });

  it.skipIf(!has('zsh'))('zsh parses the script and lists the same words per command', () => {
    const out = execFileSync('zsh', ['-c', `compdef() { :; }; source ${script('zsh')}; _agentsight_list 'report token' flags; print -l -- $reply`], { encoding: 'utf8' });
    expect(out.split('\n')).toEqual(expect.arrayContaining(['--json', '--group-by', '--db']));
    const subs = execFileSync('zsh', ['-c', `compdef() { :; }; source ${script('zsh')}; _agentsight_list '' subs; print -l -- $reply`], { encoding: 'utf8' });
    expect(subs.split('\n').filter(Boolean)).toEqual(expect.arrayContaining(['record', 'top', 'report', 'doctor', 'completion']));
  });

  it('refuses an unknown shell in one line', () => {
    const r = spawnSync(process.execPath, [CLI, 'completion', 'tcsh'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("agentsight: completion: unknown shell 'tcsh' (bash, zsh or fish)");
  });
});

describe('man page', () => {
  it.skipIf(!has('man'))('renders with every command and option of --help', () => {
    const page = path.join(tmp, 'agentsight.1');
    fs.writeFileSync(page, execFileSync(process.execPath, [CLI, 'man']));
    const text = execFileSync('man', ['-l', page], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '200', MAN_KEEP_FORMATTING: '' } });
    for (const h of ['NAME', 'SYNOPSIS', 'COMMANDS', 'EXIT STATUS', 'ENVIRONMENT']) expect(text).toContain(h);
    for (const c of ['agentsight record', 'agentsight top', 'agentsight report token', 'agentsight doctor']) expect(text).toContain(c);
    // Every option --help shows for record appears on the page.
    const help = execFileSync(process.execPath, [CLI, 'record', '--help'], { encoding: 'utf8' });
    const longs = [...help.matchAll(/--[a-z][a-z-]+/g)].map((m) => m[0]).filter((o) => o !== '--help');
    expect(longs.length).toBeGreaterThan(5);
    for (const o of new Set(longs)) expect(text).toContain(o);
  });
});
