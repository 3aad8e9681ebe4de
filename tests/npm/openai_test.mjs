// openai_test.mjs BASE_URL KEY — the unmodified `openai` npm client against
// hone serve (started by tests/server/server_test.sh with --api-key KEY):
// chat and completions, streaming and not, include_usage, stop strings,
// logprobs (chat: logprobs + top_logprobs, streamed too; completions:
// logprobs: N), a wrong key (AuthenticationError) and bad parameters
// (BadRequestError).
import OpenAI from "openai";
import assert from "node:assert/strict";

const [base, key] = process.argv.slice(2);
const client = new OpenAI({ baseURL: base, apiKey: key, maxRetries: 0, timeout: 60000 });
const model = (await client.models.list()).data[0].id;
const checks = [];
const check = (name, fn) => checks.push([name, fn]);

check("chat", async () => {
  const r = await client.chat.completions.create({
    model, messages: [{ role: "user", content: "Tell me a story" }], max_tokens: 8, temperature: 0,
  });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.choices[0].message.role, "assistant");
  assert.ok(r.choices[0].message.content.length > 0);
  assert.equal(r.choices[0].finish_reason, "length");
  assert.equal(r.usage.completion_tokens, 8);
  assert.ok(r.system_fingerprint.startsWith("hone-"));
});
check("chat stream + include_usage", async () => {
  const s = await client.chat.completions.create({
    model, messages: [{ role: "user", content: "Tell me a story" }], max_tokens: 8, temperature: 0,
    stream: true, stream_options: { include_usage: true },
  });
  let text = "", finish = null, usage = null;
  for await (const c of s) {
    if (c.usage) usage = c.usage;
    if (!c.choices.length) continue;
    text += c.choices[0].delta.content ?? "";
    finish = c.choices[0].finish_reason ?? finish;
  }
  const whole = await client.chat.completions.create({
    model, messages: [{ role: "user", content: "Tell me a story" }], max_tokens: 8, temperature: 0,
  });
  assert.equal(text, whole.choices[0].message.content); // streamed = not streamed
  assert.equal(finish, "length");
  assert.equal(usage.completion_tokens, 8);
});
check("completions + stop", async () => {
  const r = await client.completions.create({ model, prompt: "Once upon a time", max_tokens: 30, temperature: 0 });
  const text = r.choices[0].text;
  assert.ok(text.includes(" "), text);
  const word = text.trim().split(" ")[2];
  const cut = await client.completions.create({
    model, prompt: "Once upon a time", max_tokens: 30, temperature: 0, stop: [word],
  });
  assert.equal(cut.choices[0].finish_reason, "stop");
  assert.equal(cut.choices[0].text, text.slice(0, text.indexOf(word)));
});
check("completions stream", async () => {
  const s = await client.completions.create({ model, prompt: "Once upon a time", max_tokens: 12, temperature: 0, stream: true });
  let text = "";
  for await (const c of s) text += c.choices[0]?.text ?? "";
  const r = await client.completions.create({ model, prompt: "Once upon a time", max_tokens: 12, temperature: 0 });
  assert.equal(text, r.choices[0].text);
});
// log-probabilities through the SDK's types: at temperature 0 the chosen
// token is the best of its top list, logprobs <= 0, lists sorted
const checkLogprobs = (content, n) => {
  assert.ok(content.length > 0);
  for (const e of content) {
    assert.equal(typeof e.token, "string");
    assert.ok(Array.isArray(e.bytes));
    assert.ok(e.logprob <= 0, `${e.logprob}`);
    assert.equal(e.top_logprobs.length, n);
    for (let i = 1; i < n; i++) assert.ok(e.top_logprobs[i - 1].logprob >= e.top_logprobs[i].logprob);
    assert.ok(e.top_logprobs.reduce((s, t) => s + Math.exp(t.logprob), 0) <= 1 + 1e-5);
    assert.equal(e.token, e.top_logprobs[0].token);
    assert.equal(e.logprob, e.top_logprobs[0].logprob);
  }
};
check("chat logprobs", async () => {
  const r = await client.chat.completions.create({
    model, messages: [{ role: "user", content: "Tell me a story" }], max_tokens: 8, temperature: 0,
    logprobs: true, top_logprobs: 3,
  });
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, 8);
  checkLogprobs(content, 3);
  assert.equal(content.map((e) => e.token).join(""), r.choices[0].message.content);
  // streamed: the chunks' logprobs together are the same
  const s = await client.chat.completions.create({
    model, messages: [{ role: "user", content: "Tell me a story" }], max_tokens: 8, temperature: 0,
    logprobs: true, top_logprobs: 3, stream: true,
  });
  const streamed = [];
  for await (const c of s) streamed.push(...(c.choices[0]?.logprobs?.content ?? []));
  assert.deepEqual(streamed, content);
});
check("completions logprobs", async () => {
  const r = await client.completions.create({ model, prompt: "Once upon a time", max_tokens: 8, temperature: 0, logprobs: 3 });
  const lp = r.choices[0].logprobs;
  assert.equal(lp.tokens.join(""), r.choices[0].text);
  lp.token_logprobs.forEach((v, i) => {
    assert.ok(v <= 0);
    assert.equal(Math.max(...Object.values(lp.top_logprobs[i])), v);
  });
});
check("logprobs out of range", async () => {
  await assert.rejects(client.chat.completions.create({
    model, messages: [{ role: "user", content: "hi" }], logprobs: true, top_logprobs: 21,
  }), (e) => e instanceof OpenAI.BadRequestError && /top_logprobs/.test(e.message));
});
check("wrong key", async () => {
  const bad = new OpenAI({ baseURL: base, apiKey: "wrong", maxRetries: 0 });
  await assert.rejects(bad.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
});
check("bad parameter", async () => {
  await assert.rejects(client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], temperature: "hot" }),
    (e) => e instanceof OpenAI.BadRequestError && /temperature/.test(e.message));
});

let failed = 0;
for (const [name, fn] of checks) {
  try { await fn(); console.log(`ok ${name}`); }
  catch (e) { failed++; console.log(`FAIL ${name}: ${e.stack ?? e}`); }
}
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
