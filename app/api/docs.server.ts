/**
 * The merchant API's reference page (GET /api/v1/docs): a server-rendered HTML page built from the OpenAPI document
 * itself (app/api/openapi.ts), so it always says what the API does — no CDN, no client script (docs/decisions/283).
 * Every operation: method, path, scope, description, parameters, request body and responses with their schemas.
 */
import { openApiDocument } from "./openapi";

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

// The document is plain JSON built by openapi.ts; this page only walks it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** The page's HTML for an API served at `serverUrl` (e.g. https://app.example/api/v1). */
export function renderDocs(serverUrl: string): string {
  const doc = openApiDocument(serverUrl) as Json;
  const ops: string[] = [];
  const toc: string[] = [];
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const [method, o] of Object.entries(item as Json)) {
      const anchor = esc(o.operationId);
      toc.push(
        `<li><a href="#${anchor}"><code>${method.toUpperCase()} ${esc(path)}</code> — ${esc(o.summary)}</a></li>`,
      );
      const params = (o.parameters ?? []) as Json[];
      const paramRows = params
        .map(
          (p) =>
            `<tr><th scope="row"><code>${esc(p.name)}</code></th><td>${esc(p.in)}</td><td>${p.required ? "yes" : "no"}</td><td><code>${esc(JSON.stringify(p.schema))}</code></td><td>${esc(p.description ?? "")}</td></tr>`,
        )
        .join("");
      const body = o.requestBody?.content?.["application/json"]?.schema;
      const responses = Object.entries(o.responses as Json)
        .map(
          ([status, r]) =>
            `<tr><th scope="row">${esc(status)}</th><td>${esc((r as Json).description)}</td><td><code>${esc(JSON.stringify((r as Json).content?.["application/json"]?.schema ?? {}))}</code></td></tr>`,
        )
        .join("");
      ops.push(`<section aria-labelledby="${anchor}">
<h2 id="${anchor}"><code>${method.toUpperCase()} ${esc(path)}</code></h2>
<p><strong>${esc(o.summary)}.</strong> ${esc(o.description)}</p>
${params.length ? `<table><caption>Parameters</caption><thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Required</th><th scope="col">Schema</th><th scope="col">Description</th></tr></thead><tbody>${paramRows}</tbody></table>` : ""}
${body ? `<h3>Request body (application/json)</h3><pre>${esc(JSON.stringify(body, null, 2))}</pre>` : ""}
<table><caption>Responses</caption><thead><tr><th scope="col">Status</th><th scope="col">Meaning</th><th scope="col">Body schema</th></tr></thead><tbody>${responses}</tbody></table>
</section>`);
    }
  }
  const schemas = Object.entries(doc.components.schemas as Json)
    .map(([name, s]) => `<h3 id="schema-${esc(name)}">${esc(name)}</h3><pre>${esc(JSON.stringify(s, null, 2))}</pre>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} — reference</title>
<style>
body{font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:0 auto;padding:1rem 1.5rem;color:#1a1a1a}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}pre{background:#f3f3f3;padding:.75rem;overflow:auto;border-radius:6px}
table{border-collapse:collapse;width:100%;margin:.75rem 0}th,td{border:1px solid #d0d0d0;padding:.35rem .5rem;text-align:left;vertical-align:top}
caption{text-align:left;font-weight:600;padding:.25rem 0}td code{word-break:break-all}a{color:#005bd3}section{border-top:1px solid #d0d0d0;margin-top:1.5rem}
</style></head>
<body><header><h1>${esc(doc.info.title)} <small>v${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description)}</p>
<p>Base URL: <code>${esc(serverUrl)}</code>. Machine-readable document: <a href="${esc(serverUrl)}/openapi.json">openapi.json</a> (OpenAPI 3.1).</p></header>
<main><nav aria-label="Operations"><h2>Operations</h2><ul>${toc.join("")}</ul></nav>
${ops.join("\n")}
<section aria-labelledby="schemas"><h2 id="schemas">Schemas</h2>${schemas}</section>
<section aria-labelledby="webhooks"><h2 id="webhooks">Outbound webhooks</h2>
<p>Subscribe a URL in SyncFlow → Settings → API to <code>stock.changed</code>, <code>order.imported</code>, <code>conflict.raised</code> and <code>store.unhealthy</code>.
Each delivery is a POST of <code>{"type", "timestamp", "data"}</code> signed per <a href="https://www.standardwebhooks.com/">Standard Webhooks</a>:
headers <code>webhook-id</code> (the event id — the same on every retry: deduplicate on it), <code>webhook-timestamp</code> and
<code>webhook-signature</code> (<code>v1,</code> base64 HMAC-SHA256 of <code>id.timestamp.body</code> with your <code>whsec_</code> secret).
Answer 2xx within 10 s; anything else is retried with exponential backoff, then dead-lettered (replayable from the Dead letters page).</p></section>
</main></body></html>`;
}
