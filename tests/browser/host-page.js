// The host side of the MCP Apps bridge in the test's chat page, on the official AppBridge: one sandboxed view per
// tool call; the view's tools/call and resources/read go to the real wan-mcp through the test's MCP client
// (window.mcpRequest, exposed by player-host.mjs), as a desktop host forwards them from its renderer.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

const chat = document.getElementById("chat");
const views = new Map();
const hostInfo = { name: "wan-mcp browser test host", version: "1.0.0" };
const capabilities = { serverTools: {}, serverResources: {}, openLinks: {}, downloadFile: {}, logging: {} };

function say(text) {
  const bubble = document.createElement("div");
  bubble.className = "user";
  bubble.textContent = text;
  chat.append(bubble);
}

function sandboxReady(frame) {
  return new Promise((resolve) => {
    addEventListener("message", function ready(event) {
      if (event.source === frame.contentWindow && event.data?.method === "ui/notifications/sandbox-proxy-ready") {
        removeEventListener("message", ready);
        resolve();
      }
    });
  });
}

async function openView({ id, tool, args, html, csp, prefersBorder, theme }) {
  const call = document.createElement("section");
  call.className = "call";
  const label = document.createElement("div");
  label.className = "tool";
  label.innerHTML = `wan-mcp · <b></b>`;
  label.querySelector("b").textContent = tool.name;
  const frame = document.createElement("iframe");
  frame.className = prefersBorder ? "view border" : "view";
  frame.id = id;
  frame.title = `${tool.name}: wan-mcp video player`;
  frame.setAttribute("sandbox", "allow-scripts allow-same-origin");
  call.append(label, frame);
  chat.append(call);

  const bridge = new AppBridge(null, hostInfo, capabilities, {
    hostContext: {
      theme,
      displayMode: "inline",
      availableDisplayModes: ["inline"],
      platform: "web",
      locale: "en-US",
      toolInfo: { tool },
      containerDimensions: { maxHeight: 900 },
    },
  });
  bridge.oncalltool = (params) => window.mcpRequest("tools/call", params);
  bridge.onreadresource = (params) => window.mcpRequest("resources/read", params);
  bridge.ondownloadfile = async ({ contents }) => {
    const files = contents.map((c) => ({ uri: c.resource?.uri ?? c.uri, mimeType: c.resource?.mimeType, blob: c.resource?.blob ?? "" }));
    const bytes = files.map((f) => Uint8Array.from(atob(f.blob), (ch) => ch.charCodeAt(0)).length);
    await window.mcpRequest("host/download", { files: files.map((f, i) => ({ uri: f.uri, mimeType: f.mimeType, bytes: bytes[i] })) });
    return {};
  };
  bridge.onloggingmessage = (params) => console.log("[view]", JSON.stringify(params));
  bridge.onsizechange = ({ height }) => {
    if (height) frame.style.height = `${height}px`;
  };
  const initialized = new Promise((resolve) => {
    bridge.oninitialized = resolve;
  });
  const ready = sandboxReady(frame);
  const sandbox = new URL(`http://localhost:${location.port}/sandbox.html`);
  sandbox.searchParams.set("csp", JSON.stringify(csp ?? {}));
  frame.src = sandbox.href;
  await ready;
  await bridge.connect(new PostMessageTransport(frame.contentWindow, frame.contentWindow));
  await bridge.sendSandboxResourceReady({ html, csp });
  await initialized;
  await bridge.sendToolInput({ arguments: args });
  views.set(id, bridge);
}

window.host = {
  say,
  openView,
  sendResult: (id, result) => views.get(id).sendToolResult(result),
  setTheme(theme) {
    document.documentElement.dataset.theme = theme;
    for (const bridge of views.values()) bridge.sendHostContextChange({ theme });
  },
};
