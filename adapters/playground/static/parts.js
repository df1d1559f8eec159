// Threads and carousels (issue 20): a response that carries `parts` is previewed as what it is — a
// thread as its numbered posts, each with its own copy button and count; a carousel as its slides
// (headline, then its line) with the caption under them.
import { codePoints } from "./preview.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The parts of a /generate-text response, or null for a single post. A thread's parts are strings;
 *  a carousel's are {headline, text}, with `caption` beside them (also read from a {kind, parts,
 *  caption} object, the stored shape). */
export function partsOf(done) {
  let parts = done && done.parts;
  let caption = done && done.caption;
  if (parts && !Array.isArray(parts) && typeof parts === "object") {
    caption = caption ?? parts.caption;
    parts = parts.parts;
  }
  if (!Array.isArray(parts) || parts.length === 0) return null;
  if (parts.every((p) => typeof p === "string")) return { kind: "thread", posts: parts };
  const slides = parts.map((p) => ({ headline: String((p && p.headline) || ""), text: String((p && p.text) || "") }));
  return { kind: "carousel", slides, caption: String(caption || "") };
}

function copyButton(label, text, copy, note) {
  const button = el("button", "copy-part", "Copy");
  button.type = "button";
  button.setAttribute("aria-label", label);
  button.addEventListener("click", () => copy(text, (t) => (note.textContent = t)));
  return button;
}

/** A thread: an ordered list of posts, each with its count against the platform's limit. */
function thread(shape, platform, copy) {
  const list = el("ol", "thread");
  list.setAttribute("aria-label", `Thread of ${shape.posts.length} posts`);
  shape.posts.forEach((text, i) => {
    const item = el("li", "thread-post");
    const count = codePoints(text);
    const meter = el("span", "part-count", `${count} / ${platform.char_limit}`);
    if (count > platform.char_limit) meter.classList.add("over");
    const note = el("span", "note");
    note.setAttribute("role", "status");
    item.append(el("p", "post-text", text), meter, copyButton(`Copy post ${i + 1}`, text, copy, note), note);
    list.append(item);
  });
  return list;
}

/** A carousel: its slides in order (headline, line), then the caption under them. */
function carousel(shape, copy) {
  const box = el("div", "carousel");
  const slides = el("ol", "slides");
  slides.setAttribute("aria-label", `Carousel of ${shape.slides.length} slides`);
  shape.slides.forEach((slide, i) => {
    const item = el("li", "slide");
    item.setAttribute("aria-label", `Slide ${i + 1} of ${shape.slides.length}`);
    item.append(el("span", "slide-number", `${i + 1}/${shape.slides.length}`), el("h4", "slide-headline", slide.headline),
      el("p", "slide-text", slide.text));
    slides.append(item);
  });
  box.append(slides);
  if (shape.caption) {
    const caption = el("div", "carousel-caption");
    const note = el("span", "note");
    note.setAttribute("role", "status");
    caption.append(el("p", "post-text", shape.caption), copyButton("Copy the caption", shape.caption, copy, note), note);
    box.append(caption);
  }
  return box;
}

/** Fill `container` with the parts' preview (or empty it: a single post). */
export function showParts(container, shape, platform, copy) {
  if (!shape) {
    container.replaceChildren();
    container.hidden = true;
    return;
  }
  container.replaceChildren(shape.kind === "thread" ? thread(shape, platform, copy) : carousel(shape, copy));
  container.hidden = false;
}
