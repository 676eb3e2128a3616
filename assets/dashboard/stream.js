// The live store list: GET /api/stores?watch=true read with fetch() (an EventSource
// cannot send the Authorization header), its server-sent events parsed here, and the
// stream opened again whenever it ends, with the whole list fetched anew so that stores
// gone meanwhile go from the table too.

import { request } from './api.js';

/** Each event of a text/event-stream body: {type, data}. */
export async function* serverSentEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replaceAll('\r\n', '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = parseBlock(block);
      if (event) yield event;
    }
  }
}

/** One event's lines (`event:`, `data:`; `:` starts a comment, a keep-alive). */
function parseBlock(block) {
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { type, data: data.join('\n') } : null;
}

/**
 * Follows the stores until the server refuses the token: `onList(stores)` with the
 * whole list after each (re)connection, `onEvent(type, store)` for every event,
 * `onState(text, live)` when the connection changes, `onRefused(response)` on 401.
 */
export async function followStores({ onList, onEvent, onState, onRefused }) {
  let delay = 500;
  for (;;) {
    let response = null;
    try {
      response = await request('/api/stores?watch=true');
    } catch {
      response = null;
    }
    if (response && response.status === 401) {
      onRefused(response);
      return;
    }
    if (response && response.ok) {
      onState('live', true);
      delay = 500;
      // The list after the stream has started: every store the stream does not name
      // again was deleted while no stream was open.
      const listed = request('/api/stores')
        .then((r) => (r.ok ? r.json() : null))
        .then((stores) => stores && onList(stores))
        .catch(() => {});
      try {
        for await (const event of serverSentEvents(response)) {
          onEvent(event.type, JSON.parse(event.data));
        }
      } catch {
        // the connection broke: reconnect below
      }
      await listed;
      onState('reconnecting', false);
    } else {
      onState(response ? `unavailable (${response.status}); reconnecting` : 'reconnecting', false);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10000);
  }
}
