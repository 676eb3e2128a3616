// A server of several clusters: each cluster's state in the header, read from /health
// (public, cheap: the server's own view) every few seconds, and the ?context= that
// names a store's cluster on its routes.

const EVERY_MS = 5000;

/** `?context=CTX` for a store's routes when the server serves several clusters. */
export function contextQuery(store, several) {
  return several && store.context ? `?context=${encodeURIComponent(store.context)}` : '';
}

/** Each cluster as "context: state" in `node`, kept up to date. */
export async function followClusters(node) {
  node.hidden = false;
  for (;;) {
    try {
      const response = await fetch('/health', { cache: 'no-store' });
      const health = await response.json();
      const items = (health.clusters || []).map((c) => {
        const span = document.createElement('span');
        span.className = `cluster cluster-${c.state}`;
        span.dataset.context = c.context;
        span.textContent = `${c.context}: ${c.state}`;
        if (c.reason) span.title = c.reason;
        return span;
      });
      node.replaceChildren(...items);
    } catch {
      node.textContent = 'cluster states unknown';
    }
    await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
  }
}
