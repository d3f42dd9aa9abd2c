/**
 * A scripted model on 127.0.0.1 for the real clients.
 *
 * - Anthropic Messages API (`POST /v1/messages`, streaming SSE or plain JSON) for Claude Code.
 * - OpenAI Responses API (`POST /v1/responses`, SSE) for Codex.
 *
 * Every request is appended to a JSON Lines log. The current scenario's script decides the answer:
 * `script.next(view)` gets a client-neutral view of the request (which tool results came back so
 * far, the tool names offered, the whole body) and returns one step:
 *   { text }                       plain assistant text, end of turn
 *   { tool, input }                a tool call; `tool` is a neutral name the server maps to the
 *                                  client's own tool: 'edit', 'write', 'shell', 'patch', 'task',
 *                                  'mcp:<tool>', or any literal tool name the client offered.
 * A request that is not the agent's main conversation (a title, a quota check: no tools offered)
 * gets a short text.
 */
import http from 'node:http';
import fs from 'node:fs';

let seq = 0;
const id = (p) => `${p}_${Date.now().toString(36)}${(++seq).toString(36)}`;

export async function startModelServer(logFile) {
  const state = { script: null, requests: [] };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = { unparsed: raw.slice(0, 2000) };
      }
      const entry = { at: new Date().toISOString(), scenario: state.script?.name ?? null, method: req.method, url: req.url, headers: pick(req.headers), body };
      state.requests.push(entry);
      fs.appendFileSync(logFile, JSON.stringify(entry) + '\n');
      try {
        route(state, req, res, body, entry);
      } catch (e) {
        entry.error = String(e?.stack ?? e);
        fs.appendFileSync(logFile, JSON.stringify({ error: entry.error }) + '\n');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'server_error', message: String(e) } }));
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return {
    port,
    state,
    /** Sets the script for the next client run; returns the requests seen from now on. */
    use(script) {
      state.script = script;
      const from = state.requests.length;
      return () => state.requests.slice(from);
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

function pick(h) {
  const out = {};
  for (const k of ['user-agent', 'anthropic-version', 'anthropic-beta', 'content-type', 'x-app', 'originator', 'session_id']) if (h[k]) out[k] = h[k];
  return out;
}

function route(state, req, res, body, entry) {
  const url = req.url.split('?')[0];
  if (req.method === 'GET' && url.endsWith('/models')) {
    return json(res, { object: 'list', data: [{ id: 'test-model', object: 'model' }], models: [] });
  }
  if (req.method === 'POST' && url.endsWith('/messages/count_tokens')) return json(res, { input_tokens: 100 });
  if (req.method === 'POST' && url.endsWith('/messages')) return anthropic(state, res, body, entry);
  if (req.method === 'POST' && url.endsWith('/responses')) return openai(state, res, body, entry);
  if (req.method === 'HEAD' || req.method === 'GET') return json(res, {});
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { type: 'not_found', message: url } }));
}

function json(res, v) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(v));
}

// ---------------------------------------------------------------- Anthropic (Claude Code)

/** The neutral view of a Messages request. */
export function anthropicView(body) {
  const msgs = body?.messages ?? [];
  const results = [];
  for (const m of msgs) {
    if (m.role !== 'user' || !Array.isArray(m.content)) continue;
    for (const b of m.content) {
      if (b.type === 'tool_result') {
        const text = typeof b.content === 'string' ? b.content : (b.content ?? []).map((c) => c.text ?? '').join('\n');
        results.push({ id: b.tool_use_id, isError: !!b.is_error, text });
      }
    }
  }
  const first = msgs.find((m) => m.role === 'user');
  const firstText = first ? contentText(first.content) : '';
  return { client: 'claude', tools: (body?.tools ?? []).map((t) => t.name), results, firstText, allText: JSON.stringify(body), body };
}

function contentText(c) {
  if (typeof c === 'string') return c;
  return (c ?? []).map((b) => (b.type === 'text' ? b.text : b.type === 'tool_result' ? JSON.stringify(b.content) : '')).join('\n');
}

function anthropicTool(step, tools) {
  const t = step.tool;
  if (t === 'edit') return 'Edit';
  if (t === 'write') return 'Write';
  if (t === 'shell') return 'Bash';
  if (t === 'task') return tools.includes('Task') ? 'Task' : tools.includes('Agent') ? 'Agent' : 'Task';
  if (t.startsWith('mcp:')) return `mcp__git-coord__${t.slice(4)}`;
  return t;
}

function anthropic(state, res, body, entry) {
  const view = anthropicView(body);
  const main = view.tools.includes('Bash') || view.tools.includes('Edit');
  let step = { text: 'ok' };
  if (main && state.script) step = state.script.next(view) ?? { text: 'done' };
  entry.answer = step;
  const model = body?.model ?? 'test-model';
  const blocks = [];
  if (step.text !== undefined) blocks.push({ type: 'text', text: step.text });
  if (step.tool) blocks.push({ type: 'tool_use', id: id('toolu'), name: anthropicTool(step, view.tools), input: step.input ?? {} });
  entry.answerBlocks = blocks;
  const stop = step.tool ? 'tool_use' : 'end_turn';
  const usage = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const message = { id: id('msg'), type: 'message', role: 'assistant', model, content: blocks, stop_reason: stop, stop_sequence: null, usage };
  if (!body?.stream) return json(res, message);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  send('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
  blocks.forEach((b, index) => {
    if (b.type === 'text') {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { index, delta: { type: 'text_delta', text: b.text } });
    } else {
      send('content_block_start', { index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } });
    }
    send('content_block_stop', { index });
  });
  send('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 20 } });
  send('message_stop', {});
  res.end();
}

// ---------------------------------------------------------------- OpenAI Responses (Codex)

function toolName(t) {
  if (t.type === 'namespace') return (t.tools ?? []).map((x) => `${t.name}${x.name}`);
  return [t.name ?? t.type];
}

export function openaiView(body) {
  const input = Array.isArray(body?.input) ? body.input : [];
  const calls = new Map();
  const results = [];
  for (const it of input) {
    if (it.type === 'function_call' || it.type === 'custom_tool_call') calls.set(it.call_id, it);
    if (it.type === 'function_call_output' || it.type === 'custom_tool_call_output') {
      const o = it.output;
      const text = typeof o === 'string' ? o : Array.isArray(o) ? o.map((x) => x.text ?? '').join('\n') : JSON.stringify(o);
      results.push({ id: it.call_id, call: calls.get(it.call_id) ?? null, isError: null, text });
    }
  }
  const searched = input.filter((it) => it.type === 'tool_search_output').flatMap((it) => it.tools ?? []);
  const searches = input.filter((it) => it.type === 'tool_search_call').length;
  const users = input.filter((it) => it.type === 'message' && it.role === 'user');
  const firstText = users.map((u) => contentText((u.content ?? []).map((c) => ({ type: 'text', text: c.text ?? '' })))).join('\n');
  return { client: 'codex', tools: (body?.tools ?? []).flatMap(toolName), rawTools: body?.tools ?? [], searched, searches, results, firstText, allText: JSON.stringify(body), body };
}

/** The Codex output item for a step, shaped after the tools the request offered. */
function openaiItem(step, view) {
  const raw = view.rawTools;
  const find = (n) => raw.find((t) => (t.name ?? t.type) === n);
  const call_id = id('call');
  const fn = (name, args, extra = {}) => ({ type: 'function_call', id: id('fc'), call_id, name, arguments: JSON.stringify(args), status: 'completed', ...extra });
  const t = step.tool;
  if (t === 'shell') {
    const cmd = step.input.command;
    if (find('shell_command')) return fn('shell_command', { command: cmd });
    if (find('exec_command')) return fn('exec_command', { cmd });
    return fn('shell', { command: ['bash', '-lc', cmd] });
  }
  if (t === 'patch') {
    const tool = find('apply_patch');
    if (tool?.type === 'custom') return { type: 'custom_tool_call', id: id('ctc'), call_id, name: 'apply_patch', input: step.input.patch, status: 'completed' };
    return fn('apply_patch', { input: step.input.patch });
  }
  if (t.startsWith('ns:')) {
    // A tool in a deferred namespace ('ns:<namespace>:<tool>'): tool_search first, then the call.
    const [, nsName, tool] = t.split(':');
    const loaded = [...view.searched, ...raw].find((x) => x.type === 'namespace' && x.name === nsName);
    if (loaded) return fn(tool, step.input ?? {}, { namespace: nsName });
    if (find('tool_search') && view.searches === 0)
      return { type: 'tool_search_call', id: id('ts'), call_id, execution: 'client', status: 'completed', arguments: { query: step.query ?? tool.replace(/_/g, ' '), limit: 8 } };
    return fn(tool, step.input ?? {}, { namespace: nsName });
  }
  if (t.startsWith('mcp:')) {
    // Codex defers MCP tools behind `tool_search` ("Deferred tool namespaces" in the prompt): search
    // first, then call the tool by its namespace once the search output has loaded it.
    const loaded = view.searched.find((x) => x.type === 'namespace' && /git_coord/.test(x.name ?? '')) ?? raw.find((x) => x.type === 'namespace' && /git_coord/.test(x.name ?? ''));
    if (loaded) {
      const inner = (loaded.tools ?? []).find((x) => x.name === t.slice(4) || x.name?.endsWith(`__${t.slice(4)}`));
      return fn(inner?.name ?? t.slice(4), step.input ?? {}, { namespace: loaded.name });
    }
    if (find('tool_search') && view.searches === 0)
      return { type: 'tool_search_call', id: id('ts'), call_id, execution: 'client', status: 'completed', arguments: { query: `git coord ${t.slice(4)}`, limit: 8 } };
    return fn(`mcp__git_coord__${t.slice(4)}`, step.input ?? {});
  }
  return fn(t, step.input ?? {});
}

function openai(state, res, body, entry) {
  const view = openaiView(body);
  const main = view.tools.length > 0;
  let step = { text: 'ok' };
  if (main && state.script) step = state.script.next(view) ?? { text: 'done' };
  entry.answer = step;
  const items = [];
  if (step.text !== undefined && !step.tool) items.push({ type: 'message', id: id('msg'), role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: step.text, annotations: [] }] });
  if (step.tool) items.push(openaiItem(step, view));
  entry.answerItems = items;
  const rid = id('resp');
  const base = { id: rid, object: 'response', created_at: Math.floor(Date.now() / 1000), model: body?.model ?? 'test-model' };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let n = 0;
  const send = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n++, ...data })}\n\n`);
  send('response.created', { response: { ...base, status: 'in_progress', output: [] } });
  items.forEach((item, output_index) => {
    if (item.type === 'message') {
      send('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', content: [] } });
      send('response.output_text.delta', { output_index, item_id: item.id, content_index: 0, delta: item.content[0].text });
    } else if (item.type === 'function_call') {
      send('response.output_item.added', { output_index, item: { ...item, arguments: '', status: 'in_progress' } });
      send('response.function_call_arguments.delta', { output_index, item_id: item.id, delta: item.arguments });
      send('response.function_call_arguments.done', { output_index, item_id: item.id, arguments: item.arguments });
    } else if (item.type === 'tool_search_call') {
      send('response.output_item.added', { output_index, item });
    } else {
      send('response.output_item.added', { output_index, item: { ...item, input: '', status: 'in_progress' } });
      send('response.custom_tool_call_input.delta', { output_index, item_id: item.id, delta: item.input });
      send('response.custom_tool_call_input.done', { output_index, item_id: item.id, input: item.input });
    }
    send('response.output_item.done', { output_index, item });
  });
  send('response.completed', {
    response: { ...base, status: 'completed', output: items, usage: { input_tokens: 100, input_tokens_details: { cached_tokens: 0 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 120 } },
  });
  res.end();
}
