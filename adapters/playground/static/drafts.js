// A draft on the page: one <article> per variant with its platform preview, meter and buttons.
// Remixes, ratings and the review go to the /v1/drafts routes, the same Assistant and store as the
// chat bots.
import { plainWords } from "./api.js";
import { $, fill, label } from "./dom.js";
import { partsOf, showParts } from "./parts.js";
import { Preview, codePoints } from "./preview.js";
import { REVIEW_ACTIONS, reviewAct, showReview } from "./review.js";

const HASHTAG = /(?<![\w#])#([A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*)/g; // bot/postprocess.py's HASHTAG

class DraftCard {
  constructor(group, index, platform) {
    this.catalog = group.catalog;
    this.node = $("#draft-template").content.firstElementChild.cloneNode(true);
    this.index = index;
    this.platform = platform;
    this.editing = false;
    this.preview = new Preview($(".preview", this.node), platform);
    this.title = $(".draft-title", this.node);
    this.title.id = `draft-${crypto.randomUUID()}`;
    this.node.setAttribute("aria-labelledby", this.title.id);
    $('[data-action="up"]', this.node).setAttribute("aria-label", "Rate up (good draft)");
    $('[data-action="down"]', this.node).setAttribute("aria-label", "Rate down (bad draft)");
    const tones = $(".tone-choice", this.node);
    fill(tones, this.catalog.tones.map((t) => [t.name, label(t.name)]), "");
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

  /** A thread or carousel shows its parts in place of the single-post preview and meter. */
  setParts(shape) {
    showParts($(".parts", this.node), shape, this.platform, copyText);
    const single = [".preview", ".meter", ".meter-bar"].map((s) => $(s, this.node));
    single.forEach((node) => (node.hidden = Boolean(shape)));
    this.node.dataset.format = shape ? shape.kind : "post";
  }

  setButtons(enabled) {
    this.node.querySelectorAll("button[data-action], select").forEach((b) => (b.disabled = !enabled));
  }

  note(text) {
    $(".note", this.node).textContent = text;
  }
}

/** One draft (all its variants). A remix replaces the group's cards in place with the new draft's. */
export class DraftGroup {
  constructor(api, catalog) {
    this.api = api;
    this.catalog = catalog;
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
  }

  /** Stream a draft into fresh cards. On failure a remix puts the draft it came from back (nothing
   *  the person had is lost) and says what went wrong on it; a new draft's caller shows the error. */
  async run(path, body, count, platform, heading) {
    const previous = this.draftId ? { cards: this.cards, nodes: [...this.node.children] } : null;
    this.reset(count, platform, `${heading} · writing…`);
    const texts = new Array(count).fill("");
    try {
      const done = await this.api.stream(path, body, ({ index, text }) => {
        const card = this.cards[index];
        if (!card) return; // best-of-n candidates beyond the shown variants
        texts[index] += text;
        card.setText(texts[index].trimStart(), true);
      });
      this.finish(done, heading);
      return done;
    } catch (error) {
      if (previous) {
        this.cards = previous.cards;
        this.node.replaceChildren(...previous.nodes);
      }
      this.fail(error);
      throw error;
    }
  }

  finish(done, heading) {
    this.draftId = done.draft_id || null;
    this.node.dataset.draftId = this.draftId || "";
    const variants = done.variants && done.variants.length ? done.variants : [{ text: done.generated_text }];
    const platform = this.catalog.platforms.find((p) => p.name === done.platform) || this.cards[0].platform;
    if (variants.length !== this.cards.length || platform !== this.cards[0].platform) {
      this.reset(variants.length, platform, heading);
    }
    const shape = partsOf(done); // the parts are the shown (first) variant's
    this.cards.forEach((card, i) => {
      card.setText(variants[i].text, false);
      card.setParts(i === 0 ? shape : null);
      card.setButtons(Boolean(this.draftId));
      card.node.dataset.variant = String(i);
      const other = this.catalog.tones.find((t) => t.name !== this.tone);
      if (other) $(".tone-choice", card.node).value = other.name;
      $(".draft-meta", card.node).textContent = `${heading} · ${done.generation_time || ""}`;
    });
    if (this.draftId) showReview(this); // a new draft: not sent for review
    $("#drafts-empty").hidden = true;
  }

  fail(error) {
    this.cards.forEach((card) => card.setText(card.text, false));
    this.node.querySelectorAll(".error").forEach((box) => box.remove());
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
    if (REVIEW_ACTIONS.has(action)) return reviewAct(this, card, action);
    const value = action === "tone" ? $(".tone-choice", card.node).value : undefined;
    const words = { shorter: "Shorter", longer: "Longer", tone: `Rewritten in a ${label(value || "")} tone` };
    const body = { action, ...(value ? { value } : {}) };
    const heading = `${words[action]} · ${card.platform.display_name}`;
    const before = this.tone;
    if (value) this.tone = value; // finish() offers the other tones next
    try {
      await this.run(`/v1/drafts/${encodeURIComponent(this.draftId)}/remix`, body,
        this.cards.length, card.platform, heading);
      // The pressed button was replaced with its card: put keyboard focus on its successor.
      const again = this.cards[Math.min(card.index, this.cards.length - 1)];
      $(`[data-action="${action}"]`, again.node).focus({ preventScroll: true });
    } catch {
      this.tone = before; // the error is shown on the restored card by fail()
    }
  }

  async rate(card, rating, button) {
    try {
      await this.api.json(`/v1/drafts/${encodeURIComponent(this.draftId)}/rating`, {
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

export async function copyText(text, report) {
  try {
    await navigator.clipboard.writeText(text);
    report("Copied to the clipboard.");
  } catch {
    report("Copying was blocked by the browser; select the text and copy it by hand.");
  }
}
