// A draft's review on its cards: Edit in place, Send for review, Approve. The page calls the same
// /v1/drafts review routes as any client; without API keys every caller may approve (a reviewer).
import { plainWords } from "./api.js";
import { $ } from "./dom.js";

export const REVIEW_ACTIONS = new Set(["edit", "save-edit", "cancel-edit", "send-review", "approve"]);
const STATE_WORDS = {
  draft: "Not sent for review",
  in_review: "In review",
  approved: "Approved",
  changes_requested: "Changes requested",
};
const FRESH = { state: "draft", revisions: [], approved: null };

/** Show a draft's review (a review route's answer, or FRESH for a new draft) on each of its cards. */
export function showReview(group, review = FRESH) {
  for (const card of group.cards) {
    const mine = review.revisions.filter((r) => r.variant === card.index);
    const latest = mine[mine.length - 1];
    if (latest && latest.text !== card.text && !card.editing) card.setText(latest.text, false);
    let words = STATE_WORDS[review.state] || review.state;
    if (review.state === "approved" && review.approved) {
      words = review.approved.variant === card.index
        ? `Approved (revision ${review.approved.revision})`
        : "Approved: another variant";
    } else if (latest && latest.number > 0) {
      words += ` · revision ${latest.number}`;
    }
    $(".review-state", card.node).textContent = words;
    card.node.dataset.reviewState = review.state;
    const open = ["draft", "changes_requested"].includes(review.state);
    $('[data-action="edit"]', card.node).hidden = review.state === "approved";
    $('[data-action="send-review"]', card.node).hidden = !open;
    $('[data-action="approve"]', card.node).hidden = review.state !== "in_review";
  }
}

function startEdit(card) {
  card.editing = true;
  card.savedText = card.text;
  const form = $(".edit-form", card.node);
  const box = $(".edit-text", card.node);
  box.value = card.text;
  box.oninput = () => card.setText(box.value, false); // the meter counts as the person types
  $(".preview", card.node).hidden = true;
  form.hidden = false;
  box.focus();
}

function stopEdit(card, restore) {
  card.editing = false;
  $(".edit-form", card.node).hidden = true;
  $(".preview", card.node).hidden = false;
  if (restore) card.setText(card.savedText, false);
  $('[data-action="edit"]', card.node).focus({ preventScroll: true });
}

const DONE = {
  "save-edit": (review, card) => {
    const mine = review.revisions.filter((r) => r.variant === card.index);
    const number = mine.length ? mine[mine.length - 1].number : 0;
    return number > 0 ? `Saved as revision ${number}.` : "Nothing changed.";
  },
  "send-review": () => "Sent for review.",
  approve: () => "Approved: this text is final.",
};

/** A review button on `card` of `group` (a DraftGroup with a stored draft). */
export async function reviewAct(group, card, action) {
  if (action === "edit") return startEdit(card);
  if (action === "cancel-edit") return stopEdit(card, true);
  const routes = {
    "save-edit": ["edit", { variant: card.index, text: $(".edit-text", card.node).value }],
    "send-review": ["review", { variant: card.index }],
    approve: ["approve", { variant: card.index }],
  };
  const [route, body] = routes[action];
  try {
    const review = await group.api.json(`/v1/drafts/${encodeURIComponent(group.draftId)}/${route}`, {
      method: "POST", body,
    });
    if (action === "save-edit") stopEdit(card, false);
    showReview(group, review);
    card.note(DONE[action](review, card));
  } catch (error) {
    card.note(plainWords(error));
  }
}
