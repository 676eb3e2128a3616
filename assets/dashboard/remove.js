// Deleting a store: a modal dialog that says what the delete destroys, in the words of
// `storectl delete`'s confirmation (the server's `destroys`), and asks for the store's
// name typed before its Delete button does anything.

import { errorOf, request } from './api.js';
import { contextQuery } from './clusters.js';

const $ = (id) => document.getElementById(id);
let current = null; // {store, opener, onDeleting}

/** Opens the dialog for `store`; focus goes back to `opener` if it is cancelled. */
export async function openDelete(store, opener, { onDeleting, several = false }) {
  const path = `/api/stores/${encodeURIComponent(store.name)}${contextQuery(store, several)}`;
  const response = await request(path);
  current = { store, opener, onDeleting, path };
  const where = several ? ` in ${store.context}` : '';
  $('delete-title').textContent = `Delete store ${store.name}${where}?`;
  $('delete-confirm').value = '';
  $('delete-go').disabled = true;
  $('delete-error').textContent = '';
  if (response.ok) {
    const detail = await response.json();
    $('delete-what').textContent = `This deletes ${detail.destroys}.`;
  } else {
    $('delete-what').textContent = '';
    $('delete-error').textContent = await errorOf(response);
  }
  $('delete-dialog').showModal();
  $('delete-confirm').focus();
}

function typed() {
  $('delete-go').disabled = !current || $('delete-confirm').value !== current.store.name;
}

async function confirmDelete(event) {
  event.preventDefault();
  if (!current || $('delete-confirm').value !== current.store.name) return;
  $('delete-go').disabled = true;
  const response = await request(current.path, { method: 'DELETE' });
  if (response.ok) {
    const store = await response.json();
    const { onDeleting } = current;
    current = null;
    $('delete-dialog').close('deleted');
    onDeleting(store);
  } else {
    $('delete-error').textContent = await errorOf(response);
    typed();
  }
}

$('delete-confirm').addEventListener('input', typed);
$('delete-form').addEventListener('submit', confirmDelete);
$('delete-cancel').addEventListener('click', () => $('delete-dialog').close('cancelled'));
$('delete-dialog').addEventListener('close', () => {
  if (current && current.opener.isConnected) current.opener.focus();
  current = null;
});
