// Talking to the sidecar: JSON calls, the SSE stream of /generate-text, and errors in plain words.
// fetch + ReadableStream rather than EventSource: EventSource cannot POST a body or send a key.

export class ApiError extends Error {
  constructor({ status = 0, type = "", message = "", param = null, suggestion = null, retryAfter = null }) {
    super(message);
    Object.assign(this, { status, type, param, suggestion, retryAfter });
  }
}

const SUGGESTION = /did you mean '([^']+)'\?/i;

function fromBody(status, body, headers) {
  const err = (body && body.error) || {};
  const retry = headers ? Number(headers.get("Retry-After")) : NaN;
  const message = String(err.message || "");
  const suggestion = err.suggestion || (message.match(SUGGESTION) || [])[1] || null;
  return new ApiError({
    status, type: err.type || "", message, param: err.param || null, suggestion,
    retryAfter: Number.isFinite(retry) && retry > 0 ? retry : (err.retry_after_s ?? null),
  });
}

/** One sentence a person can act on; never a stack trace or a raw status line. */
export function plainWords(error) {
  if (!(error instanceof ApiError)) {
    return "The PostPulse server could not be reached. Is it still running?";
  }
  const wait = error.retryAfter ? Math.max(1, Math.ceil(error.retryAfter)) : null;
  switch (error.type) {
    case "overloaded_error":
      return `PostPulse is busy right now — try again in ${wait ?? "a few"} s.`;
    case "rate_limit_error":
      return `You have sent a lot of requests — try again in ${wait ?? "a few"} s.`;
    case "not_ready_error":
      return "The model is not ready yet (still loading) — try again in a few seconds.";
    case "engine_dead_error":
      return "The generation engine has stopped; the server needs a restart.";
    case "timeout_error":
      return "That took longer than the server allows. Try a shorter Length.";
    case "authentication_error":
      return error.message.startsWith("missing")
        ? "This server needs an API key: enter it in the API key field."
        : "That API key was not accepted. Check the API key field.";
    case "not_found_error":
      return "That draft is no longer stored on the server. Generate a new one.";
    case "conflict_error": // the review's state and what it allows, in the server's plain words
    case "permission_error": // only reviewers approve: who can, and whom to ask
      return error.message;
    default:
      break;
  }
  if (error.status === 422 || error.status === 400 || error.type === "invalid_request_error") {
    const text = error.message || "The brief is not valid.";
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  if (error.status === 413) return "The brief is too long for the server.";
  return "Something went wrong on the server; the details are in its log.";
}

export class Api {
  constructor(base = "") {
    this.base = base;
    this.key = "";
  }

  headers(extra = {}) {
    const h = { ...extra };
    if (this.key) h.Authorization = `Bearer ${this.key}`;
    return h;
  }

  async json(path, { method = "GET", body } = {}) {
    let response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers: this.headers(body === undefined ? {} : { "Content-Type": "application/json" }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      throw new ApiError({ type: "network_error", message: String(cause) });
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) throw fromBody(response.status, data, response.headers);
    return data;
  }

  /** POST `body` asking for SSE; `onDelta({index, text})` per chunk; resolves with the `done` payload.
   *  A server that answers plain JSON (no stream) resolves with that JSON. */
  async stream(path, body, onDelta, signal) {
    let response;
    try {
      response = await fetch(this.base + path, {
        method: "POST",
        headers: this.headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
        body: JSON.stringify(body),
        signal,
      });
    } catch (cause) {
      if (cause && cause.name === "AbortError") throw cause;
      throw new ApiError({ type: "network_error", message: String(cause) });
    }
    if (!response.ok) {
      throw fromBody(response.status, await response.json().catch(() => null), response.headers);
    }
    if (!(response.headers.get("Content-Type") || "").includes("text/event-stream")) {
      return response.json();
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
        const event = parseEvent(block);
        if (!event) continue;
        if (event.name === "delta") onDelta(event.data);
        else if (event.name === "done") return event.data;
        else if (event.name === "error") throw fromBody(200, event.data, null);
      }
    }
    throw new ApiError({ type: "network_error", message: "the stream ended before the draft was done" });
  }
}

function parseEvent(block) {
  let name = "message";
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (!data.length) return null;
  try {
    return { name, data: JSON.parse(data.join("\n")) };
  } catch {
    return null;
  }
}
