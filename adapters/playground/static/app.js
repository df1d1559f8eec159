// The playground: a brief form filled from /v1/catalog, drafts streamed from /generate-text, and the
// remix / rating buttons on each draft going to the same draft routes (and store) as the chat bots.
import { Api, ApiError, plainWords } from "./api.js";
import { Preview, codePoints } from "./preview.js";

const api = new Api();
const $ = (selector, root = document) => root.querySelector(selector);
const form = $("#brief");
const state = { catalog: null, platforms: new Map(), auth: false, busyTimer: null, controller: null };

const HASHTAG = /(?<![\w#])#([A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*)/g; // bot/postprocess.py's HASHTAG

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
  platforms.forEach((p) => state.platforms.set(p.name, p));
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

const label = (name) => name.charAt(0).toUpperCase() + name.slice(1).replaceAll("_", " ");

function fill(select, options, preferred) {
  const keep = select.value;
  select.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
  const names = options.map(([value]) => value);
  select.value = names.includes(keep) && keep ? keep : names.includes(preferred) ? preferred : names[0];
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
      badge.textContent = `Ready · ${ready.model}`;
      badge.classList.add("ready");
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
  const body = {
    prompt: form.elements.prompt.value,
    tone: value("tone") || undefined,
    platform: value("platform") || undefined,
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
  lines.push(`  -d ${shellQuote(JSON.stringify({ ...briefBody(), stream: true }))}`);
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

// ---------- drafts ----------

class DraftCard {
  constructor(group, index, platform) {
    this.node = $("#draft-template").content.firstElementChild.cloneNode(true);
    this.index = index;
    this.platform = platform;
    this.preview = new Preview($(".preview", this.node), platform);
    this.title = $(".draft-title", this.node);
    this.title.id = `draft-${crypto.randomUUID()}`;
    this.node.setAttribute("aria-labelledby", this.title.id);
    $('[data-action="up"]', this.node).setAttribute("aria-label", "Rate up (good draft)");
    $('[data-action="down"]', this.node).setAttribute("aria-label", "Rate down (bad draft)");
    const tones = $(".tone-choice", this.node);
    fill(tones, state.catalog.tones.map((t) => [t.name, label(t.name)]), "");
    this.node.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button) group.act(this, button.dataset.action, button);
    });
    this.setText("", true);
  }

  setText(text, streaming) {
    this.text = text;
    this.node.classList.toggle("streaming", streaming);
    this.node.setAttribute("aria-busy", String(streaming));
    this.preview.set(text);
    const limit = this.platform.char_limit;
    const count = codePoints(text);
    const meter = $(".meter", this.node);
    $(".chars", meter).textContent = `${count} / ${limit}`;
    meter.classList.toggle("over", count > limit);
    $(".meter-bar span", this.node).style.width = `${Math.min(100, (100 * count) / limit)}%`;
    const tags = text.match(HASHTAG) || [];
    const { min, max } = this.platform.hashtags;
    $(".tags", meter).textContent =
      `${tags.length} hashtag${tags.length === 1 ? "" : "s"} (${this.platform.display_name}: ${min}–${max})`;
  }

  setButtons(enabled) {
    this.node.querySelectorAll("button[data-action], select").forEach((b) => (b.disabled = !enabled));
  }

  note(text) {
    $(".note", this.node).textContent = text;
  }
}

/** One draft (all its variants). A remix replaces the group's cards in place with the new draft's. */
class DraftGroup {
  constructor() {
    this.node = document.createElement("div");
    this.node.className = "draft-group";
    this.cards = [];
    this.draftId = null;
    this.tone = null; // the current draft's tone: "Another tone" offers the others first
  }

  reset(count, platform, heading) {
    this.cards = Array.from({ length: count }, (_, i) => new DraftCard(this, i, platform));
    this.cards.forEach((card, i) => {
      card.title.textContent = count > 1 ? `Variant ${i + 1}` : "Draft";
      $(".draft-meta", card.node).textContent = heading;
      card.setButtons(false);
    });
    this.node.replaceChildren(...this.cards.map((c) => c.node));
    this.errorBox = null;
  }

  async run(path, body, count, platform, heading) {
    this.reset(count, platform, `${heading} · writing…`);
    const texts = new Array(count).fill("");
    try {
      const done = await api.stream(path, body, ({ index, text }) => {
        const card = this.cards[index];
        if (!card) return;
        texts[index] += text;
        card.setText(texts[index].trimStart(), true);
      });
      this.finish(done, heading);
      return done;
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  finish(done, heading) {
    this.draftId = done.draft_id || null;
    this.node.dataset.draftId = this.draftId || "";
    const variants = done.variants && done.variants.length ? done.variants : [{ text: done.generated_text }];
    const platform = state.platforms.get(done.platform) || this.cards[0].platform;
    if (variants.length !== this.cards.length || platform !== this.cards[0].platform) {
      this.reset(variants.length, platform, heading);
    }
    this.cards.forEach((card, i) => {
      card.setText(variants[i].text, false);
      card.setButtons(Boolean(this.draftId));
      card.node.dataset.variant = String(i);
      const other = state.catalog.tones.find((t) => t.name !== this.tone);
      if (other) $(".tone-choice", card.node).value = other.name;
      $(".draft-meta", card.node).textContent = `${heading} · ${done.generation_time || ""}`;
    });
    $("#drafts-empty").hidden = true;
  }

  fail(error) {
    this.cards.forEach((card) => card.setText(card.text, false));
    const box = document.createElement("div");
    box.className = "error";
    box.setAttribute("role", "alert");
    box.textContent = plainWords(error);
    (this.cards[0] ? this.cards[0].node : this.node).append(box);
    this.cards.forEach((card) => card.setButtons(Boolean(this.draftId)));
  }

  async act(card, action, button) {
    if (action === "copy") return copyText(card.text, (t) => card.note(t));
    if (!this.draftId) return;
    if (action === "up" || action === "down") return this.rate(card, action, button);
    const value = action === "tone" ? $(".tone-choice", card.node).value : undefined;
    const words = { shorter: "Shorter", longer: "Longer", tone: `Rewritten in a ${label(value || "")} tone` };
    const body = { action, ...(value ? { value } : {}) };
    const heading = `${words[action]} · ${card.platform.display_name}`;
    if (value) this.tone = value;
    try {
      await this.run(`/v1/drafts/${encodeURIComponent(this.draftId)}/remix`, body,
        this.cards.length, card.platform, heading);
      this.cards[0].node.focus({ preventScroll: true });
    } catch {
      /* shown on the card by fail() */
    }
  }

  async rate(card, rating, button) {
    try {
      await api.json(`/v1/drafts/${encodeURIComponent(this.draftId)}/rating`, {
        method: "POST", body: { variant: card.index, rating },
      });
    } catch (error) {
      card.note(plainWords(error));
      return;
    }
    card.node.querySelectorAll(".rate").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    card.note(rating === "up" ? "Thanks — marked as a good draft." : "Thanks — marked as a poor draft.");
  }
}

async function copyText(text, report) {
  try {
    await navigator.clipboard.writeText(text);
    report("Copied to the clipboard.");
  } catch {
    report("Copying was blocked by the browser; select the text and copy it by hand.");
  }
}

async function generate(event) {
  event.preventDefault();
  clearFormError();
  if (!state.catalog) return loadCatalog();
  const body = briefBody();
  if (!body.prompt.trim()) {
    showFormError(new ApiError({ status: 422, message: "Write a prompt first: what is the post about?", param: "prompt" }));
    form.elements.prompt.focus();
    return;
  }
  // An unknown platform still goes to the server, which says what is wrong; the card needs a shape.
  const platform = platformFor(body.platform) || state.catalog.platforms[0];
  const count = Number.isInteger(body.variants) && body.variants > 0 ? Math.min(body.variants, 5) : 1;
  const group = new DraftGroup();
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

form.addEventListener("submit", generate);
form.addEventListener("input", updateCurl);
form.addEventListener("change", updateCurl);
form.elements.prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
});
$("#copy-curl").addEventListener("click", () =>
  copyText($("#curl").textContent, (t) => ($("#copy-curl-note").textContent = t)));

start();
