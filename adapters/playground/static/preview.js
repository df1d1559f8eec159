// Platform-style previews: how the post would look where it is published. The skeleton is built once
// per draft; `set(text)` only swaps the text, so streaming is cheap and an opened fold stays open.

const INSTAGRAM_FOLD = 125; // Instagram shows about this many characters before "… more"

export const codePoints = (text) => Array.from(text).length; // what Python's len() counts

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function who(name, sub) {
  const row = el("div", "who");
  row.append(el("div", "avatar"));
  const label = el("div");
  label.append(el("b", "", name), el("span", "", sub));
  row.append(label);
  return row;
}

function toggle(label, onClick) {
  const button = el("button", "fold-toggle", label);
  button.type = "button";
  button.setAttribute("aria-expanded", "false");
  button.addEventListener("click", onClick);
  return button;
}

/** Cut at a word boundary at or before `limit` code points. */
function foldAt(text, limit) {
  const chars = Array.from(text);
  if (chars.length <= limit) return null;
  const head = chars.slice(0, limit).join("");
  const space = head.lastIndexOf(" ");
  return (space > limit * 0.6 ? head.slice(0, space) : head).trimEnd();
}

export class Preview {
  constructor(container, platform) {
    this.root = container;
    this.kind = platform.name;
    this.text = "";
    this.expanded = false;
    container.className = `preview preview-${["x", "instagram", "linkedin"].includes(this.kind) ? this.kind : "other"}`;
    container.setAttribute("aria-label", `${platform.display_name} preview`);
    this.body = el("p", "post-text");
    if (this.kind === "x") {
      container.append(who("Your Brand", "@yourbrand · now"), this.body);
      const bar = el("div", "x-bar", "💬 12   🔁 8   ♡ 64   📊 1.2K");
      bar.setAttribute("aria-hidden", "true");
      container.append(bar);
    } else if (this.kind === "instagram") {
      const photo = el("div", "photo");
      photo.setAttribute("aria-hidden", "true");
      const caption = el("div", "caption");
      this.more = toggle("… more", () => this.flip());
      caption.append(this.body, this.more);
      container.append(photo, caption);
    } else if (this.kind === "linkedin") {
      this.clamp = el("div", "clamped");
      this.clamp.append(this.body);
      this.more = toggle("…see more", () => this.flip());
      this.more.classList.add("see-more");
      container.append(who("Your Brand", "Company page · 1st"), this.clamp, this.more);
    } else {
      container.append(who("Your Brand", platform.display_name), this.body);
    }
  }

  flip() {
    this.expanded = !this.expanded;
    this.render();
  }

  set(text) {
    this.text = text;
    this.render();
  }

  render() {
    if (this.kind === "instagram") {
      const folded = this.expanded ? null : foldAt(this.text, INSTAGRAM_FOLD);
      this.body.replaceChildren(el("b", "", "yourbrand"), document.createTextNode(folded ?? this.text));
      this.more.hidden = foldAt(this.text, INSTAGRAM_FOLD) === null;
      this.more.textContent = this.expanded ? "less" : "… more";
      this.more.setAttribute("aria-expanded", String(this.expanded));
    } else if (this.kind === "linkedin") {
      this.body.textContent = this.text;
      this.clamp.classList.toggle("clamped", !this.expanded);
      // Two lines at this width: the toggle only shows when the text is actually cut.
      const cut = this.expanded || this.body.scrollHeight > this.body.clientHeight + 1;
      this.more.hidden = !cut;
      this.more.textContent = this.expanded ? "show less" : "…see more";
      this.more.setAttribute("aria-expanded", String(this.expanded));
    } else {
      this.body.textContent = this.text;
    }
  }
}
