// storectl's dashboard: signs in with a token (unless the server needs none), follows
// the stores live, and offers create and delete unless the server is read-only. The
// table shows one page of the stores that match the filter; the counts are over all.
// A server of several clusters adds a Context column, each cluster's state in the
// header (from /health), and a context to choose when creating.

import { errorOf, request, send, setToken, token } from './api.js';
import { followStores } from './stream.js';
import { contextQuery, followClusters } from './clusters.js';
import { showDetails, updateDetails } from './details.js';
import { openDelete } from './remove.js';

const PAGE_SIZE = 100;
const STATUSES = ['Provisioning', 'Ready', 'Failed', 'Deleting', 'Paused'];
const $ = (id) => document.getElementById(id);

const stores = new Map(); // "context/namespace/name" -> store, as the server last said
const rows = new Map(); // "context/namespace/name" -> its <tr>
let seen = new Set(); // stores named by the stream open now
let readonly = true;
let several = false; // the server serves more than one cluster
let page = 0;
let drawing = false;
let following = false;
const pending = []; // status changes to announce

const keyOf = (store) => `${store.context}/${store.namespace}/${store.name}`;
const COLUMNS = ['name', 'context', 'status', 'reason', 'url', 'pods'];

function announce(text) {
  $('announcer').textContent = text;
}

function setConnection(text) {
  $('connection').textContent = text;
}

/** Draws on the next frame, once however many events arrived. */
function redraw() {
  if (drawing) return;
  drawing = true;
  requestAnimationFrame(() => {
    drawing = false;
    draw();
  });
}

function upsert(store) {
  const key = keyOf(store);
  const was = stores.get(key);
  stores.set(key, store);
  if (was && was.status !== store.status) pending.push(`${store.name}: ${store.status}`);
  updateDetails(store);
  redraw();
}

function remove(store) {
  if (stores.delete(keyOf(store))) pending.push(`${store.name}: deleted`);
  updateDetails(null, store);
  redraw();
}

function matches(store, words) {
  const text = `${store.name} ${several ? store.context : ''} ${store.status} ${store.reason} ${store.url || ''}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

function countsText(all, shown) {
  const by = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const s of all) by[s.status] = (by[s.status] || 0) + 1;
  const parts = STATUSES.filter((s) => by[s] > 0).map((s) => `${by[s]} ${s}`);
  const total = `${all.length} ${all.length === 1 ? 'store' : 'stores'}`;
  const filtered = shown === all.length ? '' : `; ${shown} match the filter`;
  return parts.length ? `${total}: ${parts.join(', ')}${filtered}` : `${total}${filtered}`;
}

function draw() {
  const all = [...stores.values()];
  const words = $('filter').value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const order = (s) => [s.name, s.context || '', s.namespace];
  const shown = all.filter((s) => matches(s, words)).sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    const i = x.findIndex((v, j) => v !== y[j]);
    return i < 0 ? 0 : x[i] < y[i] ? -1 : 1;
  });
  $('counts').textContent = countsText(all, shown.length);
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  page = Math.min(page, pages - 1);
  const visible = shown.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  placeRows(visible);
  $('page').textContent = `Page ${page + 1} of ${pages}`;
  $('previous').disabled = page === 0;
  $('next').disabled = page >= pages - 1;
  if (pending.length) {
    announce(pending.length > 3 ? `${pending.length} stores changed` : pending.join('; '));
    pending.length = 0;
  }
}

/** The rows of `visible`, in order, moving only what moved (so focus stays put). */
function placeRows(visible) {
  const body = $('rows');
  const wanted = new Set(visible.map(keyOf));
  for (const [key, tr] of rows) {
    if (!wanted.has(key)) {
      tr.remove();
      rows.delete(key);
    }
  }
  visible.forEach((store, i) => {
    const key = keyOf(store);
    let tr = rows.get(key);
    if (!tr) {
      tr = makeRow(store);
      rows.set(key, tr);
    }
    fillRow(tr, store);
    if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null);
  });
}

function makeRow(store) {
  const tr = document.createElement('tr');
  tr.dataset.store = store.name;
  tr.dataset.context = store.context || '';
  const cells = COLUMNS.filter((c) => c !== 'context' || several).map((c) => {
    const td = document.createElement('td');
    td.className = c;
    tr.append(td);
    return td;
  });
  const link = document.createElement('a');
  link.href = `#store/${encodeURIComponent(store.name)}${contextQuery(store, several)}`;
  link.textContent = store.name;
  cells[0].append(link);
  if (several) cells[1].textContent = store.context;
  if (!readonly) {
    const td = document.createElement('td');
    td.className = 'controls';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'delete';
    button.textContent = 'Delete';
    const where = several ? ` in ${store.context}` : '';
    button.setAttribute('aria-label', `Delete store ${store.name}${where}`);
    button.addEventListener('click', () =>
      openDelete(stores.get(keyOf(store)) || store, button, { onDeleting: deleting, several }));
    td.append(button);
    tr.append(td);
  }
  return tr;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function fillRow(tr, store) {
  const cell = (c) => tr.querySelector(`td.${c}`);
  const [status, reason, url, pods] = ['status', 'reason', 'url', 'pods'].map(cell);
  setText(status, store.status);
  status.className = `status status-${store.status}`;
  setText(reason, store.reason);
  // Only web addresses become links (a store's URL is http or https; anything else is text).
  const href = /^https?:\/\//.test(store.url || '') ? store.url : '';
  const link = url.firstChild;
  if (!href) setText(url, store.url || '-');
  else if (!link || link.nodeName !== 'A' || link.getAttribute('href') !== href) {
    const a = document.createElement('a');
    a.href = href;
    a.rel = 'noopener noreferrer';
    a.textContent = href;
    url.replaceChildren(a);
  }
  setText(pods, `${store.pods_ready}/${store.pods_total}`);
  const button = tr.querySelector('button.delete');
  if (button) button.disabled = store.status === 'Deleting';
}

/** After a delete was accepted: the row says Deleting until the store is gone. */
function deleting(store) {
  upsert(store);
  announce(`deleting store ${store.name}`);
  $('filter').focus();
}

// --- creating ---------------------------------------------------------------------------

let checking = 0;
let checkTimer = 0;

function showNameMessage(text, valid) {
  const message = $('new-name-message');
  message.textContent = text;
  message.className = `message ${valid ? 'valid' : 'invalid'}`;
  $('new-name').setAttribute('aria-invalid', valid ? 'false' : 'true');
}

/** The server's dry run of the create: its own words for a name it refuses. */
async function checkName() {
  const name = $('new-name').value;
  const mine = ++checking;
  if (!name) {
    showNameMessage('', true);
    return;
  }
  const response = await send('POST', '/api/stores?dryRun=true', newStore(name));
  if (mine !== checking) return;
  if (response.ok) {
    const would = await response.json();
    const where = several ? ` in ${would.context}` : '';
    showNameMessage(`${would.name} can be created (namespace ${would.namespace}${where})`, true);
  } else {
    showNameMessage(await errorOf(response), false);
  }
}

/** The body of a create: the name, and the chosen context when there are several. */
function newStore(name) {
  return several ? { name, context: $('new-context').value } : { name };
}

async function create(event) {
  event.preventDefault();
  const input = $('new-name');
  const name = input.value;
  checking++;
  clearTimeout(checkTimer);
  $('create').disabled = true;
  try {
    const response = await send('POST', '/api/stores', newStore(name));
    if (response.ok) {
      const store = await response.json();
      upsert(store);
      input.value = '';
      showNameMessage(`creating store ${store.name}`, true);
    } else {
      showNameMessage(await errorOf(response), false);
    }
  } finally {
    $('create').disabled = false;
  }
}

// --- signing in, routing, following ------------------------------------------------------

function showLogin(why) {
  $('stores').hidden = true;
  $('details').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = why;
  setConnection('signed out');
  $('token').focus();
}

function route() {
  const match = /^#store\/([^?]+)(?:\?context=(.*))?$/.exec(location.hash);
  $('stores').hidden = Boolean(match);
  $('details').hidden = !match;
  if (match) {
    const context = match[2] === undefined ? null : decodeURIComponent(match[2]);
    showDetails(decodeURIComponent(match[1]), context);
  } else {
    redraw();
    // Back from a store's page: the focus must not stay in the hidden section.
    if (!$('stores').contains(document.activeElement)) $('filter').focus();
  }
}

function follow() {
  if (following) return;
  following = true;
  followStores({
    onState: (text, live) => {
      setConnection(text);
      if (live) seen = new Set();
    },
    onEvent: (type, store) => {
      seen.add(keyOf(store));
      if (type === 'DELETED') remove(store);
      else upsert(store);
    },
    onList: (list) => {
      const listed = new Set(list.map(keyOf));
      for (const [key, store] of stores) {
        if (!listed.has(key) && !seen.has(key)) remove(store);
      }
    },
    onRefused: async (response) => {
      following = false;
      setToken('');
      showLogin(await errorOf(response));
    },
  });
}

async function start() {
  let response;
  try {
    response = await request('/api/info');
  } catch {
    setConnection('cannot reach the server');
    return;
  }
  if (response.status === 401) {
    const why = token() ? await errorOf(response) : '';
    setToken('');
    showLogin(why);
    return;
  }
  if (!response.ok) {
    setConnection(await errorOf(response));
    return;
  }
  const info = await response.json();
  readonly = info.readonly !== false;
  several = Array.isArray(info.clusters) && info.clusters.length > 1;
  if (several) {
    for (const node of document.querySelectorAll('.several')) node.hidden = false;
    const select = $('new-context');
    select.replaceChildren(...info.clusters.map((c) => new Option(c.context, c.context)));
    followClusters($('clusters'));
  }
  if (readonly) {
    $('create-form')?.remove();
    $('delete-dialog')?.remove();
    document.querySelector('th.controls')?.remove();
  }
  $('login').hidden = true;
  route();
  follow();
  const first = readonly ? $('filter') : $('new-name');
  if (!location.hash) first.focus();
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  setToken($('token').value.trim());
  $('token').value = '';
  start();
});
$('create-form').addEventListener('submit', create);
$('new-name').addEventListener('input', () => {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(checkName, 150);
});
$('new-context').addEventListener('change', checkName);
$('filter').addEventListener('input', () => {
  page = 0;
  redraw();
});
$('previous').addEventListener('click', () => {
  page = Math.max(0, page - 1);
  redraw();
});
$('next').addEventListener('click', () => {
  page += 1;
  redraw();
});
window.addEventListener('hashchange', route);
start();
