// The HTTP contract, and nothing else: every call goes through `request`, so an error
// from the server reaches the user as the server worded it (it names the field and the range).

export class ApiError extends Error {
  constructor(status, message, field = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.field = field;
  }
}

async function request(method, path, body = undefined) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
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

// FastAPI answers 422 with {detail: [{loc, msg}]} and our handlers with {detail: "..."} or
// {detail: {message, field}}; all become one readable sentence.
function describeError(payload) {
  const detail = payload && typeof payload === "object" ? payload.detail ?? payload : payload;
  if (typeof detail === "string") return { message: detail, field: null };
  if (Array.isArray(detail) && detail.length) {
    const first = detail[0];
    const field = Array.isArray(first.loc) ? first.loc.filter((p) => p !== "body").join(".") : null;
    return { message: field ? `${field}: ${first.msg}` : first.msg, field };
  }
  if (detail && typeof detail === "object" && detail.message) {
    return { message: detail.message, field: detail.field ?? null };
  }
  return { message: "The server rejected the request.", field: null };
}

export const getJSON = (path) => request("GET", path);
export const postJSON = (path, body = {}) => request("POST", path, body);
export const patchJSON = (path, body) => request("PATCH", path, body);
export const deleteJSON = (path, body = undefined) => request("DELETE", path, body);
