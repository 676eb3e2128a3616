// One store's details (the page at #store/NAME[?context=CTX]): its status, URL and objects, and what
// the CLI's events, history and backups show, each read from its /api route. The
// status follows the live stream; the rest is read when the page opens.

import { errorOf, request } from './api.js';

const $ = (id) => document.getElementById(id);
let shown = null; // the name on the page
let shownContext = null; // its cluster's context (null: the server's only one)

function cell(tr, text) {
  const td = document.createElement('td');
  td.textContent = text ?? '-';
  tr.append(td);
}

/** A table's rows from a settled read: its items, "none", or why it could not be read. */
function fill(tableId, part, columns) {
  const body = $(tableId).tBodies[0];
  const items = part.status === 'fulfilled' ? part.value : [];
  const trs = items.map((item) => {
    const tr = document.createElement('tr');
    for (const column of columns) cell(tr, column(item));
    return tr;
  });
  if (!trs.length) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = columns.length;
    td.textContent = part.status === 'fulfilled' ? 'none' : part.reason.message;
    tr.append(td);
    trs.push(tr);
  }
  body.replaceChildren(...trs);
}

function summary(store) {
  const dl = $('details-summary');
  const pairs = [
    ['Status', store.status],
    ['Reason', store.reason],
    ['Namespace', store.namespace],
    ...(shownContext === null ? [] : [['Context', store.context]]),
    ['Pods ready', `${store.pods_ready}/${store.pods_total}`],
    ['Created', store.created],
  ];
  const nodes = [];
  for (const [term, value] of pairs) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value ?? '-';
    nodes.push(dt, dd);
  }
  const dt = document.createElement('dt');
  dt.textContent = 'URL';
  const dd = document.createElement('dd');
  if (/^https?:\/\//.test(store.url || '')) {
    const a = document.createElement('a');
    a.href = store.url;
    a.rel = 'noopener noreferrer';
    a.textContent = store.url;
    dd.append(a);
  } else dd.textContent = store.url || '-';
  nodes.push(dt, dd);
  dl.replaceChildren(...nodes);
}

async function read(path) {
  const response = await request(path);
  if (!response.ok) throw new Error(await errorOf(response));
  return response.json();
}

/** Opens the page of store `name` (of the cluster of `context`, when not null). */
export async function showDetails(name, context = null) {
  shown = name;
  shownContext = context;
  $('details-title').textContent = context === null ? `Store ${name}` : `Store ${name} in ${context}`;
  $('details-title').focus();
  const base = `/api/stores/${encodeURIComponent(name)}`;
  const q = context === null ? '' : `?context=${encodeURIComponent(context)}`;
  const parts = await Promise.allSettled([
    read(`${base}${q}`), read(`${base}/events${q}`), read(`${base}/revisions${q}`),
    read(`${base}/backups${q}`),
  ]);
  if (shown !== name || shownContext !== context) return;
  const [detail, events, revisions, backups] = parts;
  if (detail.status === 'rejected') {
    $('details-summary').textContent = detail.reason.message;
  } else {
    summary(detail.value);
    fill('details-objects', { status: 'fulfilled', value: detail.value.objects }, [(o) => o.kind, (o) => o.name, (o) => o.state]);
  }
  fill('details-events', events, [
    (e) => e.last_seen, (e) => e.type, (e) => e.reason, (e) => e.object, (e) => e.message]);
  fill('details-revisions', revisions, [
    (r) => r.revision, (r) => r.recorded, (r) => r.user, (r) => r.change]);
  fill('details-backups', backups, [
    (b) => b.id, (b) => b.created, (b) => b.status, (b) => b.size, (b) => b.reason]);
}

/** A store's new state from the stream (`gone`: the store that went). */
export function updateDetails(store, gone) {
  if ($('details').hidden) return;
  const mine = (s) => s && s.name === shown && (shownContext === null || s.context === shownContext);
  if (mine(store)) summary(store);
  if (mine(gone)) $('details-summary').textContent = 'This store is gone.';
}
