/**
 * How each real agent is pointed at the local fake provider: its argv for one prompt that makes it run a shell tool, and the environment (with files written under
 * `home`) that routes it to the server with `secret` as its API key.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FakeLlmServer } from '../fake-llm/server';

export const AGENT_PROMPT = 'Write hello to /tmp/x';

export interface AgentLaunch {
  argv: string[];
  env: NodeJS.ProcessEnv;
}

/** bins: agentBinaries(); codexEntry: the native binary (default) or the npm package's bin/codex.js (node spawns it). */
export function agentLaunch(
  name: 'claude' | 'codex' | 'gemini',
  bins: Record<string, string>,
  srv: FakeLlmServer,
  home: string,
  secret: string,
  opts: { codexEntry?: 'native' | 'npm' } = {},
): AgentLaunch {
  switch (name) {
    case 'claude':
      return {
        argv: [bins['claude']!, '-p', AGENT_PROMPT, '--dangerously-skip-permissions'],
        env: { HOME: home, ANTHROPIC_BASE_URL: srv.url, ANTHROPIC_API_KEY: secret, NODE_EXTRA_CA_CERTS: srv.caCertPath, IS_SANDBOX: '1' },
      };
    case 'codex': {
      fs.writeFileSync(
        path.join(home, 'config.toml'),
        `model = "gpt-5-codex"\nmodel_provider = "fake"\n[model_providers.fake]\nname = "fake"\nbase_url = "${srv.url}/v1"\nwire_api = "responses"\nenv_key = "FAKE_OPENAI_KEY"\n`,
      );
      const entry = opts.codexEntry === 'npm' ? codexWrapper(bins['codex']!) : bins['codex']!;
      return {
        argv: [entry, 'exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', AGENT_PROMPT],
        env: { CODEX_HOME: home, FAKE_OPENAI_KEY: secret, SSL_CERT_FILE: srv.caBundlePath },
      };
    }
    case 'gemini':
      fs.mkdirSync(path.join(home, '.gemini'), { recursive: true });
      fs.writeFileSync(path.join(home, '.gemini', 'settings.json'), JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }));
      // An explicit model: otherwise the CLI first asks a flash-lite "router" for a JSON verdict the fake server does
      // not give, and retries it with backoff for over a minute before falling back.
      return {
        argv: [bins['gemini']!, '-m', 'gemini-2.5-pro', '-p', AGENT_PROMPT, '--yolo'],
        env: { HOME: home, GEMINI_API_KEY: secret, GOOGLE_GEMINI_BASE_URL: srv.url, GEMINI_CLI_TRUST_WORKSPACE: 'true', NODE_EXTRA_CA_CERTS: srv.caCertPath },
      };
  }
}

/** @openai/codex's bin/codex.js, next to the native binary install-agents.sh found. */
function codexWrapper(native: string): string {
  const nm = native.slice(0, native.lastIndexOf('/node_modules/') + '/node_modules/'.length);
  return path.join(nm, '@openai', 'codex', 'bin', 'codex.js');
}
