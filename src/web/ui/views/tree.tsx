/**
 * `/tree`: the session's model calls, each with its prompt and the tool calls it asked for, each tool call linked to
 * the processes and files it caused; beside them the process tree, each process saying which tool call started it.
 * ?tool=, ?process= and ?llm= select one (from the timeline); links go on to the logs.
 */
import { useEffect, useState } from 'preact/hooks';
import { clock, getJson, href, param, useApi } from '../api';
import type { LlmCallDetail, TreeProcess } from '../../wire';

function CallDetails({ id }: { id: number }) {
  const [d, setD] = useState<LlmCallDetail | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => void getJson('/api/v1/llm-call', { id }).then(setD, (e: Error) => setErr(e.message)), [id]);
  if (err) return <div class="error">{err}</div>;
  if (!d) return <div>loading…</div>;
  return (
    <div class="call-details">
      <div><b>tools offered</b> ({d.toolsOffered.length}): {d.toolsOffered.join(', ') || 'none'}</div>
      <div>
        <b>diff to the previous prompt</b>{' '}
        {d.previousCallId === null
          ? `(first call: all ${d.messages} messages are new)`
          : `(call #${d.previousCallId}): ${d.newMessages.length} of ${d.messages} messages new${d.droppedMessages ? `, ${d.droppedMessages} of the previous request's messages dropped or changed` : ''}`}
      </div>
      {d.newMessages.map((m) => <pre class="diff-add">+ {m}</pre>)}
      {d.systemPrompt && (
        <details>
          <summary>system prompt ({d.systemPrompt.length} chars)</summary>
          <pre>{d.systemPrompt}</pre>
        </details>
      )}
      {d.responseText && <pre class="response">{d.responseText}</pre>}
    </div>
  );
}

function ProcessNode({ p, kids, selected, depth }: { p: TreeProcess; kids: Map<number | null, TreeProcess[]>; selected: Set<number>; depth: number }) {
  const children = kids.get(p.id) ?? [];
  return (
    <li id={`proc-${p.id}`} class={selected.has(p.id) ? 'selected' : ''}>
      {p.container && <span class="container mono">{p.container} </span>}
      <span class={`mono ${p.failed ? 'bad-text' : ''}`}>{p.command}</span>{' '}
      <small>pid {p.pid} · {clock(p.startNs)} · {p.status}{p.peakRssText ? ` · peak ${p.peakRssText}` : ''}</small>{' '}
      {p.toolCallIds.map((t) => <a class="caused-by" href={href('/tree', { tool: t })}>← tool call #{t}</a>)}{' '}
      <a href={href('/logs', { process: p.id })}>logs</a>
      {children.length > 0 && depth < 60 && (
        <ul>{children.map((c) => <ProcessNode p={c} kids={kids} selected={selected} depth={depth + 1} />)}</ul>
      )}
    </li>
  );
}

export function Tree() {
  const session = param('session');
  const tool = param('tool') ? Number(param('tool')) : null;
  const llm = param('llm') ? Number(param('llm')) : null;
  const proc = param('process') ? Number(param('process')) : null;
  const { data, error } = useApi('/api/v1/tree', { session });
  const [open, setOpen] = useState<Set<number>>(new Set(llm !== null ? [llm] : []));
  useEffect(() => {
    const id = tool !== null ? `tool-${tool}` : proc !== null ? `proc-${proc}` : llm !== null ? `llm-${llm}` : null;
    if (data && id) document.getElementById(id)?.scrollIntoView({ block: 'center' });
  }, [data]);
  if (error) return <div class="error">{error}</div>;
  if (!data) return <div>loading…</div>;
  const ids = new Set(data.processes.map((p) => p.id));
  const kids = new Map<number | null, TreeProcess[]>();
  for (const p of data.processes) {
    const parent = p.parentId !== null && ids.has(p.parentId) ? p.parentId : null;
    kids.set(parent, [...(kids.get(parent) ?? []), p]);
  }
  const selTool = data.llmCalls.flatMap((c) => c.tools).find((t) => t.id === tool);
  const selected = new Set<number>([...(selTool?.processIds ?? []), ...(proc !== null ? [proc] : [])]);
  return (
    <div class="tree columns">
      <section class="calls">
        <h2>Model calls ({data.llmCalls.length})</h2>
        {data.llmCalls.length === 0 && <div>no LLM calls in this view</div>}
        {data.llmCalls.map((c) => (
          <div class={`call ${llm === c.id ? 'selected' : ''} ${c.failed ? 'failed' : ''}`} id={`llm-${c.id}`}>
            <div class="call-head">
              <b>#{c.id} {c.model}</b> <small>{clock(c.startNs)} · {c.durationText ?? 'no end'} · {c.tokensText} · {c.costText}</small>{' '}
              <button onClick={() => setOpen(new Set(open.has(c.id) ? [...open].filter((x) => x !== c.id) : [...open, c.id]))}>{open.has(c.id) ? 'less' : 'prompt diff, tools offered'}</button>{' '}
              <a href={href('/logs', { kind: 'llm,tool', q: c.model })}>logs</a>
            </div>
            {c.error && <div class="bad-text">{c.error}</div>}
            {c.prompt && <pre class="prompt">{c.prompt}</pre>}
            {c.response && <pre class="response">{c.response}</pre>}
            {open.has(c.id) && <CallDetails id={c.id} />}
            {c.tools.map((t) => (
              <div class={`tool ${tool === t.id ? 'selected' : ''} ${t.failed ? 'failed' : ''}`} id={`tool-${t.id}`}>
                <div>
                  <b>tool call #{t.id} {t.name}</b> <span class="mono">{t.input}</span>
                </div>
                <div>
                  {t.processIds.map((p) => <a href={`#proc-${p}`} class="effect">process #{p}</a>)}{' '}
                  {t.files.map((f) => <span class="effect mono">{f}</span>)}{' '}
                  <a class="tool-logs" href={href('/logs', { tool: t.id })}>its events in the logs</a>
                </div>
                {t.mcp && (
                  <div class={`mcp ${t.mcp.failed ? 'failed' : ''}`} title={t.mcp.command ?? ''}>
                    MCP <b>{t.mcp.server}</b> {t.mcp.method}{t.mcp.target ? ` ${t.mcp.target}` : ''} [{t.mcp.outcome}]{t.mcp.latencyText ? ` ${t.mcp.latencyText}` : ''}
                    {t.mcp.result && <pre class="result">{t.mcp.result}</pre>}
                  </div>
                )}
                {t.resultText && <pre class="result">{t.resultText}</pre>}
              </div>
            ))}
          </div>
        ))}
      </section>
      <section class="procs">
        <h2>Processes ({data.processes.length})</h2>
        <ul class="proc-tree">
          {(kids.get(null) ?? []).map((p) => <ProcessNode p={p} kids={kids} selected={selected} depth={0} />)}
        </ul>
      </section>
    </div>
  );
}
