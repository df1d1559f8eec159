// The playground: a brief form filled from /v1/catalog, drafts streamed from /generate-text, and the
// remix / rating buttons on each draft going to the same draft routes (and store) as the chat bots.
import { Api, ApiError, plainWords } from "./api.js";
import { $, label } from "./dom.js";
import { DraftGroup, copyText } from "./drafts.js";

const api = new Api();
const form = $("#brief");
const state = { catalog: null, auth: false, busyTimer: null };


// ---------- the server: auth, catalogue, readiness ----------

async function start() {
  try {
    const spec = await api.json("/openapi.json");
    state.auth = Boolean(spec.components && spec.components.securitySchemes);
  } catch {
    state.auth = false;
  }
  $("#key-row").hidden = !state.auth;
  $("#api-key").addEventListener("change", () => {
    api.key = $("#api-key").value.trim();
    if (!state.catalog) loadCatalog();
    updateCurl();
  });
  if (state.auth) showFormError(new ApiError({ type: "authentication_error", message: "missing key" }));
  else await loadCatalog();
  watchReadiness();
  updateCurl();
}

async function loadCatalog() {
  try {
    state.catalog = await api.json("/v1/catalog");
  } catch (error) {
    showFormError(error);
    return;
  }
  clearFormError();
  const { tones, platforms, industries, limits } = state.catalog;
  suggest($("#tones"), tones.map((t) => [t.name, t.description]));
  suggest($("#platforms"), platforms.map((p) => [p.name, p.display_name]));
  suggest($("#industries"), industries.map((i) => [i.name, i.audience]));
  $("#variants").max = String(limits.max_variants);
  $("#max_length").max = String(limits.max_length);
  $("#max_length").value = String(limits.default_max_length);
  updateCurl();
}

function suggest(datalist, options) {
  datalist.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
}

/** A typed platform name or alias (any case) -> its catalogue entry, for the preview; the server
 *  validates the brief itself and explains anything it does not know. */
function platformFor(typed) {
  const wanted = String(typed || "instagram").trim().toLowerCase();
  for (const platform of state.catalog.platforms) {
    if (platform.name === wanted || (platform.aliases || []).some((a) => a.toLowerCase() === wanted)) {
      return platform;
    }
  }
  return null;
}


// Which engine writes: "on transformers (vLLM warming up)" while the hand-off waits for vLLM.
function engineNote(ready) {
  if (!ready.backend) return "";
  if (ready.handoff === "warming") return ` · on ${ready.backend} (${ready.target} warming up)`;
  if (ready.handoff === "restarting") return ` · on ${ready.backend} (${ready.target} restarting)`;
  return ` · on ${ready.backend}`;
}

async function watchReadiness() {
  const badge = $("#server-status");
  for (;;) {
    let ready = null;
    try {
      const response = await fetch("/ready");
      ready = await response.json();
    } catch {
      ready = null;
    }
    badge.classList.remove("ready", "problem");
    if (ready && ready.ready) {
      badge.textContent = `Ready · ${ready.model}${engineNote(ready)}`;
      badge.classList.add("ready");
      // With the hand-off the serving engine changes once vLLM is warm: keep the badge current.
      if (ready.handoff === "warming" || ready.handoff === "restarting") {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        continue;
      }
      return;
    }
    if (!ready) {
      badge.textContent = "The server cannot be reached.";
      badge.classList.add("problem");
    } else if (ready.status === "loading") {
      badge.textContent = "The model is loading — not ready yet.";
    } else {
      badge.textContent = "The model could not start; see the server log.";
      badge.classList.add("problem");
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

// ---------- the brief ----------

function briefBody() {
  const value = (name) => form.elements[name].value.trim();
  const number = (name) => (value(name) === "" ? undefined : Number(value(name)));
  const platforms = value("platform").split(",").map((p) => p.trim()).filter(Boolean);
  const format = value("format");
  const body = {
    prompt: form.elements.prompt.value,
    url: value("url") || undefined,
    tone: value("tone") || undefined,
    // Several platforms: a list, one sibling draft each.
    platform: platforms.length > 1 ? platforms : platforms[0],
    format: format && format !== "post" ? format : undefined,
    posts: format && format !== "post" ? number("posts") : undefined,
    industry: value("industry") || undefined,
    audience: value("audience") || undefined,
    brand_voice: value("brand_voice") || undefined,
    variants: number("variants"),
    max_length: number("max_length"),
    hashtags: form.elements.hashtags.checked,
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

const shellQuote = (text) => `'${text.replaceAll("'", "'\\''")}'`;

function updateCurl() {
  const lines = [`curl -sN ${location.origin}/generate-text`, `  -H 'Content-Type: application/json'`];
  // The key itself is never written out: the command reads it from the environment.
  if (state.auth) lines.push(`  -H "Authorization: Bearer $POSTPULSE_API_KEY"`);
  const body = briefBody();
  // Several platforms answer as one JSON body (no stream).
  const streamed = Array.isArray(body.platform) ? body : { ...body, stream: true };
  lines.push(`  -d ${shellQuote(JSON.stringify(streamed))}`);
  $("#curl").textContent = lines.join(" \\\n");
}

function clearFormError() {
  const box = $("#form-error");
  box.hidden = true;
  box.replaceChildren();
  form.querySelectorAll("[aria-invalid]").forEach((field) => {
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-errormessage");
  });
}

const FIELD_FOR_PARAM = { length: "max_length", voice: "brand_voice", cta: "prompt", option: "prompt" };

function showFormError(error) {
  const box = $("#form-error");
  box.replaceChildren(document.createTextNode(plainWords(error)));
  box.hidden = false;
  const name = error.param && (FIELD_FOR_PARAM[error.param] || error.param);
  const field = name && form.elements[name];
  if (field instanceof HTMLElement) {
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-errormessage", "form-error");
  }
  if (error.type === "authentication_error") $("#api-key").focus();
  if (error.suggestion && field instanceof HTMLElement) {
    const fix = document.createElement("button");
    fix.type = "button";
    fix.textContent = `Use '${error.suggestion}'`;
    fix.addEventListener("click", () => applySuggestion(field, error));
    box.append(fix);
  }
  if (error.retryAfter) countDown(box, error);
}

function applySuggestion(field, error) {
  if (field instanceof HTMLSelectElement || field.hasAttribute("list")) field.value = error.suggestion;
  else if (field instanceof HTMLTextAreaElement || field instanceof HTMLInputElement) {
    const typed = error.message.match(/'([^']+)'/);
    if (typed) field.value = field.value.replace(typed[1], error.suggestion);
  }
  clearFormError();
  updateCurl();
  field.focus();
}

/** "try again in N s" counts down in place, so the number stays true while the person waits. */
function countDown(box, error) {
  clearInterval(state.busyTimer);
  let left = Math.ceil(error.retryAfter);
  state.busyTimer = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      clearInterval(state.busyTimer);
      box.firstChild.textContent = "You can try again now.";
      return;
    }
    box.firstChild.textContent = plainWords(Object.assign(error, { retryAfter: left }));
  }, 1000);
}

async function generate(event) {
  event.preventDefault();
  clearFormError();
  if (!state.catalog) return loadCatalog();
  const body = briefBody();
  if (!body.prompt.trim() && body.url) body.prompt = "Share this article"; // the page is the brief
  if (!body.prompt.trim()) {
    showFormError(new ApiError({ status: 422, message: "Write a prompt first: what is the post about?", param: "prompt" }));
    form.elements.prompt.focus();
    return;
  }
  const count = Number.isInteger(body.variants) && body.variants > 0 ? Math.min(body.variants, 5) : 1;
  if (Array.isArray(body.platform)) return generateSiblings(body, count);
  // An unknown platform still goes to the server, which says what is wrong; the card needs a shape.
  const platform = platformFor(body.platform) || state.catalog.platforms[0];
  const group = new DraftGroup(api, state.catalog);
  group.tone = body.tone;
  const button = $("#generate");
  button.disabled = true;
  button.textContent = "Writing…";
  $("#drafts").prepend(group.node);
  group.node.scrollIntoView({ behavior: "smooth", block: "nearest" });
  try {
    await group.run("/generate-text", { ...body, stream: true }, count, platform,
      `${platform.display_name} · ${label(body.tone || "professional")}`);
  } catch (error) {
    group.node.remove();
    showFormError(error);
  } finally {
    button.disabled = false;
    button.textContent = "Generate";
  }
}

/** Several platforms: one request, one sibling draft per platform, shown side by side; each is a
 *  draft of its own (remix, rate and review it alone). */
async function generateSiblings(body, count) {
  const button = $("#generate");
  const row = document.createElement("div");
  row.className = "siblings";
  row.setAttribute("role", "group");
  row.setAttribute("aria-label", `Drafts for ${body.platform.join(", ")}`);
  row.setAttribute("aria-busy", "true");
  const waiting = document.createElement("p");
  waiting.className = "muted";
  waiting.textContent = `Writing ${body.platform.length} drafts, one per platform…`;
  row.append(waiting);
  button.disabled = true;
  button.textContent = "Writing…";
  $("#drafts").prepend(row);
  try {
    const done = await api.json("/generate-text", { method: "POST", body });
    const groups = done.drafts.map((draft) => {
      const platform = platformFor(draft.platform) || state.catalog.platforms[0];
      const heading = `${platform.display_name} · ${label(body.tone || "professional")}`;
      const group = new DraftGroup(api, state.catalog);
      group.tone = body.tone;
      group.reset(count, platform, heading);
      group.finish(draft, heading);
      return group;
    });
    row.replaceChildren(...groups.map((g) => g.node));
    row.setAttribute("aria-busy", "false");
  } catch (error) {
    row.remove();
    showFormError(error);
  } finally {
    button.disabled = false;
    button.textContent = "Generate";
  }
}

form.addEventListener("submit", generate);
form.addEventListener("input", updateCurl);
form.addEventListener("change", updateCurl);
form.elements.prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
});
$("#copy-curl").addEventListener("click", () =>
  copyText($("#curl").textContent, (t) => ($("#copy-curl-note").textContent = t)));

start();
