// The official `openai` client (npm, v4) against serve: the calls real clients make, each
// checked as a client reads it (tests/unit/test_serve.c runs this; docs/serve.md).
//
//   NODE_PATH=build/npm/openai/node_modules node tests/clients/openai_client.cjs BASE_URL MODEL
//
// BASE_URL: http://127.0.0.1:PORT/v1 of a server started with --slots 1 (the last check
// fills its one slot and expects 503). Prints "ok NAME" per check; exit 1 naming the first
// that failed.
'use strict';
const OpenAI = require('openai');
const [base, model] = process.argv.slice(2);
if (!base || !model) {
  console.error('usage: openai_client.cjs BASE_URL MODEL');
  process.exit(2);
}
const client = new OpenAI({baseURL: base, apiKey: 'not-needed', maxRetries: 0, timeout: 30000});

function check(cond, name, what) {
  if (!cond) throw new Error(name + ': ' + what);
}

async function refused(name, call, status, code) {
  try {
    await call();
  } catch (e) {
    check(e instanceof OpenAI.APIError, name, 'not an APIError: ' + e);
    check(e.status === status, name, 'status ' + e.status + ', expected ' + status + ': ' + e.message);
    check(!code || e.code === code, name, 'code ' + e.code + ', expected ' + code);
    check(typeof e.message === 'string' && e.message.length > 10, name, 'no message');
    return e;
  }
  throw new Error(name + ': succeeded, expected ' + status);
}

async function main() {
  const done = [];
  const ok = (name) => { done.push(name); console.log('ok ' + name); };

  const c = await client.completions.create({model, prompt: 'the king', max_tokens: 20, seed: 1});
  const text = c.choices[0].text;
  check(c.object === 'text_completion' && c.model === model, 'completion', JSON.stringify(c));
  check(text.length === 20 && c.choices[0].finish_reason === 'length', 'completion', JSON.stringify(c.choices));
  check(c.usage.completion_tokens === 20 && c.usage.total_tokens === c.usage.prompt_tokens + 20, 'completion',
        JSON.stringify(c.usage));
  ok('completion');

  let joined = '', finish = null;
  const cs = await client.completions.create({model, prompt: 'the king', max_tokens: 20, seed: 1, stream: true});
  for await (const chunk of cs) {
    joined += chunk.choices[0].text;
    finish = chunk.choices[0].finish_reason || finish;
  }
  check(joined === text && finish === 'length', 'completion stream', JSON.stringify([joined, text, finish]));
  ok('completion stream');

  const messages = [{role: 'system', content: 'the king'}, {role: 'user', content: 'and queen'}];
  const chat = await client.chat.completions.create({model, messages, max_tokens: 30, seed: 2});
  const m = chat.choices[0].message;
  check(chat.object === 'chat.completion' && m.role === 'assistant' && typeof m.content === 'string', 'chat',
        JSON.stringify(chat));
  check(['length', 'stop'].includes(chat.choices[0].finish_reason), 'chat', chat.choices[0].finish_reason);
  ok('chat');

  let said = '', usage = null, role = null;
  const st = await client.chat.completions.create(
      {model, messages, max_tokens: 30, seed: 2, stream: true, stream_options: {include_usage: true}});
  for await (const chunk of st) {
    if (chunk.usage) usage = chunk.usage;
    const d = chunk.choices[0] && chunk.choices[0].delta;
    if (d && d.role) role = d.role;
    if (d && d.content) said += d.content;
  }
  check(said === m.content && role === 'assistant', 'chat stream', JSON.stringify([said, m.content, role]));
  check(usage && usage.completion_tokens === chat.usage.completion_tokens, 'chat stream', JSON.stringify(usage));
  ok('chat stream');

  const list = await client.models.list();
  check(list.data.length === 1 && list.data[0].id === model, 'models', JSON.stringify(list.data));
  const one = await client.models.retrieve(model);
  check(one.id === model, 'models', JSON.stringify(one));
  ok('models');

  await refused('wrong model', () => client.chat.completions.create({model: 'gpt-4o', messages}), 404,
                'model_not_found');
  ok('wrong model');
  const e = await refused('refused field',
                          () => client.completions.create({model, prompt: 'a', logprobs: 2}), 400,
                          'unsupported_parameter');
  check(e.param === 'logprobs', 'refused field', 'param ' + e.param);
  ok('refused field');

  // the one slot taken by a long stream: the next request is 503 (the client does not retry)
  const long = await client.completions.create({model, prompt: 'the', max_tokens: 100000, stream: true});
  const it = long[Symbol.asyncIterator]();
  await it.next();
  await refused('busy', () => client.completions.create({model, prompt: 'the', max_tokens: 5}), 503, 'slots_busy');
  long.controller.abort();
  ok('busy');
  console.log('openai_client: ' + done.length + ' checks passed (openai ' + require('openai/version').VERSION + ')');
}

main().catch((e) => {
  console.error('openai_client: ' + (e && e.message ? e.message : e));
  process.exit(1);
});
