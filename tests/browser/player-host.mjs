// A minimal MCP Apps host for the browser test of wan-mcp's player. It connects to a real wan-mcp (stdio or
// streamable HTTP) as an MCP client that advertises MCP Apps, renders the player inside a chat page in headless
// Chromium (host page + cross-origin sandbox proxy with the CSP the spec prescribes), plays the agent's part of one
// scenario, and writes what it saw as JSON for tests/test_player_browser.py to judge.
//
//   node player-host.mjs --scenario self-poll|agent-poll --report FILE [--screenshot PNG] [--dark-screenshot PNG]
//                        [--running-screenshot PNG] [--url http://127.0.0.1:PORT/mcp]
//   (without --url: stdio, the command in WAN_MCP_COMMAND as a JSON list)
import { createServer } from "node:http";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { Agent, fetch } from "undici";

const here = dirname(fileURLToPath(import.meta.url));
const { values: options } = parseArgs({
  options: {
    scenario: { type: "string", default: "self-poll" },
    report: { type: "string" },
    screenshot: { type: "string" },
    "dark-screenshot": { type: "string" },
    "running-screenshot": { type: "string" },
    url: { type: "string" },
    prompt: { type: "string", default: "A red fox trotting through fresh snow at sunrise, cinematic, soft light" },
    duration: { type: "string", default: "5" },
    chromium: { type: "string", default: process.env.WAN_MCP_CHROMIUM || "/usr/bin/chromium" },
  },
});
const UI = "io.modelcontextprotocol/ui";
const started = Date.now();
const report = { scenario: options.scenario, calls: [], phases: [], console: [], errors: [] };
const at = () => (Date.now() - started) / 1000;

// -- the pages: host and sandbox proxy on two origins (127.0.0.1 and localhost), the sandbox with the app's CSP.
function cspHeader(csp = {}) {
  const list = (domains) => (domains || []).filter((d) => !/[;\r\n'" ]/.test(d)).join(" ");
  const resources = list(csp.resourceDomains);
  return [
    "default-src 'none'",
    `script-src 'self' 'unsafe-inline' ${resources}`,
    `style-src 'self' 'unsafe-inline' ${resources}`,
    `connect-src 'self' ${list(csp.connectDomains)}`,
    `img-src 'self' data: ${resources}`,
    `font-src 'self' ${resources}`,
    `media-src 'self' data: ${resources}`,
    `frame-src ${list(csp.frameDomains) || "'none'"}`,
    "object-src 'none'",
    `base-uri ${list(csp.baseUriDomains) || "'self'"}`,
  ]
    .map((d) => d.trim())
    .join("; ");
}

async function servePages() {
  const bundle = await build({
    entryPoints: [join(here, "host-page.js")],
    bundle: true,
    format: "iife",
    platform: "browser",
    write: false,
    logLevel: "error",
  });
  const files = {
    "/host.html": ["text/html", await readFile(join(here, "host.html"))],
    "/host.js": ["text/javascript", bundle.outputFiles[0].contents],
    "/sandbox.html": ["text/html", await readFile(join(here, "sandbox.html"))],
  };
  const server = createServer((request, response) => {
    const url = new URL(request.url, "http://127.0.0.1");
    const file = files[url.pathname];
    if (!file) return response.writeHead(404).end();
    const headers = { "Content-Type": `${file[0]}; charset=utf-8`, "Cache-Control": "no-store" };
    if (url.pathname === "/sandbox.html") headers["Content-Security-Policy"] = cspHeader(JSON.parse(url.searchParams.get("csp") || "{}"));
    response.writeHead(200, headers).end(file[1]);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

// -- the MCP client: a host that advertises MCP Apps.
async function connect() {
  const client = new Client(
    { name: "wan-mcp browser test host", version: "1.0.0" },
    { capabilities: { extensions: { [UI]: { mimeTypes: ["text/html;profile=mcp-app"] } } } },
  );
  let stderr = "";
  let transport;
  if (options.url) {
    // A fresh connection per request: a reused idle one can race the server's keep-alive timeout ("other side closed").
    const dispatcher = new Agent({ pipelining: 0 });
    transport = new StreamableHTTPClientTransport(new URL(options.url), { fetch: (url, init) => fetch(url, { ...init, dispatcher }) });
  } else {
    const [command, ...args] = JSON.parse(process.env.WAN_MCP_COMMAND || '["wan-mcp"]');
    transport = new StdioClientTransport({ command, args, env: { ...process.env }, stderr: "pipe" });
    transport.stderr?.on("data", (chunk) => {
      stderr = (stderr + chunk).slice(-20000);
    });
  }
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

async function request(client, method, params) {
  const entry = { at: at(), method, target: params.name ?? params.uri ?? params.files?.[0]?.uri ?? "" };
  report.calls.push(entry);
  if (method === "tools/call") return client.callTool(params);
  if (method === "resources/read") return client.readResource(params);
  if (method === "host/download") {
    report.downloads = (report.downloads || []).concat(params.files);
    return {};
  }
  throw new Error(`the test host does not forward ${method}`);
}

// -- watching one view: its phase, label and clock as they change.
async function appFrame(page, id) {
  const sandbox = await (await page.waitForSelector(`#${id}`)).contentFrame();
  const inner = await sandbox.waitForSelector("iframe");
  const frame = await inner.contentFrame();
  await frame.waitForSelector("body[data-phase]");
  return frame;
}

async function watch(frame, view, until, seconds, onChange = async () => {}) {
  const deadline = Date.now() + seconds * 1000;
  let last = "";
  while (Date.now() < deadline) {
    const seen = await frame.evaluate(() => ({
      phase: document.body.dataset.phase,
      label: document.getElementById("label").textContent,
      clock: document.getElementById("clock").textContent,
      detail: document.getElementById("detail").textContent,
      note: document.getElementById("note").textContent,
      progress: document.getElementById("bar").hidden ? null : Number(document.getElementById("bar").getAttribute("aria-valuenow")),
    }));
    const key = `${seen.phase}|${seen.label}|${seen.clock}`;
    if (key !== last) {
      report.phases.push({ at: at(), view, ...seen });
      await onChange(seen);
    }
    last = key;
    if (until.includes(seen.phase)) return seen.phase;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const state = await frame.evaluate(() => JSON.stringify({
    timer: view.timer, dueIn: Math.round(view.due - performance.now()), host: view.host, job: view.job && view.job.state,
  }));
  throw new Error(`view ${view} did not reach ${until.join(" or ")} within ${seconds} s; the player's state: ${state}`);
}

async function playVideo(page, frame) {
  await frame.waitForFunction(() => {
    const v = document.querySelector("video");
    return v && !v.hidden && v.readyState >= 3;
  }, null, { timeout: 30000 });
  const start = await frame.evaluate(async () => {
    const v = document.querySelector("video");
    v.muted = true;
    await v.play();
    return { readyState: v.readyState, duration: v.duration, currentTime: v.currentTime, width: v.videoWidth, height: v.videoHeight, src: v.src.slice(0, 30) };
  });
  await page.waitForTimeout(1200);
  const later = await frame.evaluate(() => {
    const v = document.querySelector("video");
    return { currentTime: v.currentTime, paused: v.paused, readyState: v.readyState };
  });
  await frame.evaluate(async () => {
    const v = document.querySelector("video");
    v.pause();
    const seeked = new Promise((resolve) => v.addEventListener("seeked", resolve, { once: true }));
    v.currentTime = Math.min(1.5, v.duration / 3);
    await seeked;
  });
  await frame.locator("video").hover();  // the controls fully shown, as a person sees them
  report.video = { ...start, later };
}

// The player's "Save video": the host receives the video's bytes (ui/download-file) and the player says so.
async function save(frame) {
  await frame.locator("#save").click();
  await frame.waitForFunction(() => document.getElementById("note").textContent.startsWith("Saved"), null, { timeout: 10000 });
}

// The lowest WCAG contrast ratio of the player's texts against its background.
function contrast(frame) {
  return frame.evaluate(() => {
    const rgb = (color) => color.match(/[\d.]+/g).slice(0, 3).map(Number);
    const luminance = (color) => {
      const [r, g, b] = rgb(color).map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const background = luminance(getComputedStyle(document.body).backgroundColor);
    const texts = [...document.querySelectorAll("#label, #model, #clock, #prompt, #detail, #note, dt, dd, #name, #folder, button")];
    return Math.min(...texts.filter((e) => e.offsetParent).map((e) => {
      const l = luminance(getComputedStyle(e).color);
      return (Math.max(l, background) + 0.05) / (Math.min(l, background) + 0.05);
    }));
  });
}

async function openView(page, client, id, toolName, args, resource, tools) {
  const meta = resource._meta?.ui ?? {};
  await page.evaluate((spec) => window.host.openView(spec), {
    id,
    tool: tools.find((t) => t.name === toolName),
    args,
    html: resource.text,
    csp: meta.csp,
    prefersBorder: meta.prefersBorder,
    theme: "light",
  });
  const result = await client.callTool({ name: toolName, arguments: args });
  report.calls.push({ at: at(), method: "agent tools/call", target: toolName });
  await page.evaluate(([view, r]) => window.host.sendResult(view, r), [id, result]);
  return result;
}

// A tool result's facts: the JSON of its text (wan-mcp sends them once, as text), or its structured content.
const resultData = (result) => result.structuredContent ?? (result.isError ? null : JSON.parse(result.content[0].text));

async function scenario(page, client, tools, resource) {
  const args = { mode: "t2v", prompt: options.prompt, duration: Number(options.duration), resolution: "720P" };
  await page.evaluate((text) => window.host.say(text), `Make a ${options.duration}-second video: ${options.prompt}.`);
  const submitted = await openView(page, client, "submit", "submit_video", { ...args, wait_seconds: 0 }, resource, tools);
  const job = resultData(submitted).task;
  report.submitted = { handle: job.handle, state: job.state, status: job.status, nextPoll: job.next_poll_after_seconds };
  let id = "submit";
  if (options.scenario === "agent-poll") {
    // The agent waits with poll_task until the job is done; its last call's view gets the delivered result.
    for (let i = 0; i < 10; i++) {
      const waited = await client.callTool({ name: "poll_task", arguments: { task_id: job.handle, wait_seconds: 5 } });
      report.calls.push({ at: at(), method: "agent tools/call", target: "poll_task" });
      if (resultData(waited)?.state === "delivered") break;
    }
    id = "poll";
    const polled = await openView(page, client, id, "poll_task", { task_id: job.handle }, resource, tools);
    report.polled = { meta: polled._meta ?? null, state: resultData(polled)?.state };
  }
  const frame = await appFrame(page, id);
  let shot = !options["running-screenshot"];
  const end = await watch(frame, id, ["ready", "ended"], 90, async (seen) => {
    if (!shot && seen.phase === "running" && seen.clock >= "0:06") {
      shot = true;
      await page.locator("#chat").screenshot({ path: options["running-screenshot"] });
    }
  });
  if (end !== "ready") throw new Error(`the player ended in phase ${end}: ${report.phases.at(-1).label}: ${report.phases.at(-1).detail}`);
  report.job = resultData(await client.callTool({ name: "poll_task", arguments: { task_id: job.handle } }));
  await playVideo(page, frame);
  report.facts = await frame.evaluate(() => [...document.querySelectorAll("#facts div")].map((d) => d.textContent));
  report.saveOffered = await frame.evaluate(() => !document.getElementById("save").hidden);
  report.contrast = { light: await contrast(frame) };
  return frame;
}

async function main() {
  const pages = await servePages();
  const { client, stderr } = await connect();
  const profile = await mkdtemp(join(tmpdir(), "wan-mcp-chromium-"));
  let context;
  try {
    const tools = (await client.listTools()).tools;
    const uri = tools.find((t) => t.name === "submit_video")?._meta?.ui?.resourceUri;
    if (!uri) throw new Error("submit_video has no _meta.ui.resourceUri");
    const resource = (await client.readResource({ uri })).contents[0];
    report.resource = { uri, mimeType: resource.mimeType, bytes: resource.text.length, meta: resource._meta ?? null };
    report.boundTools = tools.filter((t) => t._meta?.ui?.resourceUri === uri).map((t) => t.name).sort();
    context = await chromium.launchPersistentContext(profile, {
      executablePath: options.chromium,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 760, height: 1000 },
      deviceScaleFactor: 2,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => {
      if (["error", "warning"].includes(message.type())) report.console.push(`${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => report.errors.push(String(error)));
    await page.exposeFunction("mcpRequest", (method, params) => request(client, method, params));
    await page.goto(`http://127.0.0.1:${pages.address().port}/host.html`);
    await scenario(page, client, tools, resource);
    if (options.screenshot) await page.locator("#chat").screenshot({ path: options.screenshot });
    await page.evaluate(() => window.host.setTheme("dark"));
    await page.waitForTimeout(400);
    const frame = await appFrame(page, options.scenario === "agent-poll" ? "poll" : "submit");
    report.contrast.dark = await contrast(frame);
    if (options["dark-screenshot"]) await page.locator("#chat").screenshot({ path: options["dark-screenshot"] });
    if (report.saveOffered) await save(frame);
    report.ok = true;
  } catch (error) {
    report.ok = false;
    report.error = String(error?.stack || error) + (error?.cause ? `\ncaused by: ${error.cause?.stack || error.cause}` : "");
    report.calls.push({ at: at(), method: "failed after", target: report.calls.at(-1)?.target ?? "" });
    report.serverStderr = stderr();
  } finally {
    report.seconds = at();
    await context?.close().catch(() => {});
    await client.close().catch(() => {});
    pages.close();
    await rm(profile, { recursive: true, force: true });
  }
  const text = JSON.stringify(report, null, 1);
  if (options.report) await writeFile(options.report, text);
  else process.stdout.write(text + "\n");
  if (!report.ok) process.stderr.write(`player browser test: ${report.error}\n`);
  process.exit(report.ok ? 0 : 1);
}

const guard = setTimeout(() => {
  process.stderr.write("player browser test: timed out after 240 s\n");
  process.exit(2);
}, 240000);
guard.unref();
await main();
