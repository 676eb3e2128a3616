// The dashboard's calls to storectl serve: the bearer token kept for this tab only
// (sessionStorage), sent with every /api request; errors as the server words them.

const KEY = 'storectl-token';

export function token() {
  return sessionStorage.getItem(KEY) || '';
}

export function setToken(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

/** fetch() with the token; never cached. */
export function request(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const bearer = token();
  if (bearer) headers.set('Authorization', `Bearer ${bearer}`);
  return fetch(path, { ...options, headers, cache: 'no-store' });
}

/** A JSON body sent with the token. */
export function send(method, path, body) {
  return request(path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The server's own message for a failed answer ({"error": ...}), or its status. */
export async function errorOf(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string' && body.error) return body.error;
  } catch {
    // not JSON: fall through
  }
  return `the server answered ${response.status} ${response.statusText}`.trim();
}
