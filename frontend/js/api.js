// The HTTP contract, and nothing else (the stream's URL included): every call goes through `request`, so an error
// from the server reaches the user as the server worded it (it names the field and the range).

export class ApiError extends Error {
  constructor(status, message, field = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.field = field;
  }
}

function request(method, path, body = undefined) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return answerOf(fetch(path, init));
}

/** The payload of a fetch's response, or an ApiError worded as the server worded it. */
export async function answerOf(fetching) {
  let response;
  try {
    response = await fetching;
  } catch (err) {
    throw new ApiError(0, `The server cannot be reached (${err.message}). Is backprop-lab still running?`);
  }
  const type = response.headers.get("content-type") || "";
  const payload = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const { message, field } = describeError(payload);
    throw new ApiError(response.status, message, field);
  }
  return payload;
}

// The server answers every error as {detail: "sentence naming the field", field: "a.b"};
// FastAPI's own 422 shape {detail: [{loc, msg}]} is read too, so either becomes one sentence.
function describeError(payload) {
  if (!payload || typeof payload !== "object") {
    return { message: String(payload || "The server rejected the request."), field: null };
  }
  const detail = payload.detail ?? payload;
  const field = typeof payload.field === "string" ? payload.field : null;
  if (typeof detail === "string") return { message: detail, field };
  if (Array.isArray(detail) && detail.length) {
    const first = detail[0];
    const loc = Array.isArray(first.loc) ? first.loc.filter((p) => p !== "body").join(".") : null;
    return { message: loc ? `${loc}: ${first.msg}` : first.msg, field: field ?? loc };
  }
  if (detail && typeof detail === "object" && detail.message) {
    return { message: detail.message, field: detail.field ?? field };
  }
  return { message: "The server rejected the request.", field };
}

/** The WebSocket URL of a session's stream (docs/api.md), on the page's own server. */
export function streamUrl(sessionId) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/api/sessions/${sessionId}/stream?encoding=binary`;
}

/** A class's follower stream: the lecturer's frames, read-only (docs/api.md, Class mode). */
export function classStreamUrl(code) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/api/classes/${code}/stream`;
}

export const getJSON = (path) => request("GET", path);
export const postJSON = (path, body = {}) => request("POST", path, body);
export const patchJSON = (path, body) => request("PATCH", path, body);
export const putJSON = (path, body) => request("PUT", path, body);
export const deleteJSON = (path, body = undefined) => request("DELETE", path, body);
