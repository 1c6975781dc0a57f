/**
 * Message templates per notification kind: e-mail subject + plain text + HTML, and a one-segment SMS.
 * Pure functions of a resolved context (app/notify/context.server.ts builds it), so tests and the
 * preview render the same thing. Every merchant-provided string is HTML-escaped.
 */
import { KIND_INFO, smsText, type NotificationKind } from "./kinds";

/** What a template needs: the shop, links back into the app, and the event's facts. */
export interface MessageContext {
  kind: NotificationKind;
  shopName: string;
  shopDomain: string;
  /** Absolute link into the app for this event (inventory, activity, conflicts ...). */
  link: string;
  /** Link to the notification settings page (unsubscribe / change). */
  settingsLink: string;
  /** Facts by kind (SKU, title, quantity, store, order number, cause ...). */
  facts: Record<string, string | number | null | undefined>;
  /** Lines of a digest or a summary. */
  lines?: string[];
  /** Test send. */
  test?: boolean;
}

/** A rendered message. */
export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
  sms: string;
}

const esc = (s: unknown) =>
  String(s ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

function headline(ctx: MessageContext): { title: string; body: string[]; sms: string } {
  const f = ctx.facts;
  const item = f.sku ? `${f.title ?? ""} (SKU ${f.sku})`.trim() : "an item";
  switch (ctx.kind) {
    case "order.imported":
      return {
        title: `New order ${f.orderNumber ?? ""} from ${f.store ?? "a store"}`.replace(/\s+/g, " "),
        body: [
          `Order ${f.orderNumber ?? ""} was imported from ${f.store ?? "a store"}${f.total ? ` (${f.total} ${f.currency ?? ""})` : ""}.`,
          f.itemsLine ? `Items: ${f.itemsLine}` : "",
        ],
        sms: `New order ${f.orderNumber ?? ""} from ${f.store ?? "a store"}`,
      };
    case "order.import_failed": {
      const order = `${f.orderNumber ?? "An order"}${f.store ? ` from ${f.store}` : ""}`;
      const cancel = f.action === "cancel";
      return {
        title: cancel
          ? `Order ${f.orderNumber ?? ""} was cancelled at ${f.store ?? "its store"} but not in Shopify`.replace(
              /\s+/g,
              " ",
            )
          : `Order ${f.orderNumber ?? ""} from ${f.store ?? "a store"} was not imported to Shopify`.replace(
              /\s+/g,
              " ",
            ),
        body: [
          cancel
            ? `${order} could not be cancelled in your Shopify store after ${f.attempts ?? "all"} attempts: ${f.cause ?? "unknown cause"}.`
            : `${order} could not be created in your Shopify store after ${f.attempts ?? "all"} attempts: ${f.cause ?? "unknown cause"}.`,
          "Its stock is already counted. Fix the cause, then retry it from the order's page or replay it from the dead letters; it is still imported only once.",
        ],
        sms: `Order ${f.orderNumber ?? ""} ${cancel ? "not cancelled" : "not imported"}: ${String(f.cause ?? "").slice(0, 60)}`,
      };
    }
    case "stock.low":
      return {
        title: `Low stock: ${f.sku ?? "an item"} is at ${f.quantity}`,
        body: [
          `${item} is at ${f.quantity} ${f.where ? `on ${f.where}` : ""}, at or under its threshold of ${f.threshold}.`,
          "You will not be told again until it goes back above the threshold.",
        ],
        sms: `Low stock: ${f.sku} at ${f.quantity} (threshold ${f.threshold})`,
      };
    case "stock.low_cover":
      return {
        title: `Time to reorder: ${f.sku ?? "an item"} has ${f.daysOfCover ?? "?"} days of cover`,
        body: [
          `${item} has ${f.quantity} available and sells about ${f.demandPerDay} a day: it runs out around ${f.stockoutDate ?? "soon"}.`,
          `That is at or under its reorder point of ${f.reorderPoint} (lead time ${f.leadTimeDays} days plus safety stock). Suggested order: ${f.suggestedQty} units.`,
          "You will not be told again until its cover recovers.",
        ],
        sms: `Reorder ${f.sku}: ${f.daysOfCover} days of cover`,
      };
    case "stock.out":
      return {
        title: `Out of stock everywhere: ${f.sku ?? "an item"}`,
        body: [`${item} has 0 available on Shopify and on every linked store. Customers cannot buy it anywhere.`],
        sms: `OUT OF STOCK everywhere: ${f.sku}`,
      };
    case "job.dead_lettered":
      return {
        title: `Sync failed after ${f.attempts ?? "all"} attempts`,
        body: [
          `A ${f.queue ?? "sync"} job${f.store ? ` for ${f.store}` : ""} failed every retry: ${f.cause ?? "unknown cause"}.`,
          "Stock may be out of date on that store until it is replayed. Open the app to replay it.",
        ],
        sms: `Sync FAILED after ${f.attempts ?? "all"} tries${f.store ? ` (${f.store})` : ""}: ${String(f.cause ?? "").slice(0, 60)}`,
      };
    case "conflict.raised":
      return {
        title: `Conflict to review: ${f.sku ?? "an item"}${f.store ? ` on ${f.store}` : ""}`,
        body: [
          `${item} shows ${f.storeQuantity ?? "?"} on ${f.store ?? "a store"} but SyncFlow expects ${f.expectedQuantity ?? "?"} (${f.conflictKind ?? "difference"}). Choose which value is right.`,
        ],
        sms: `Conflict: ${f.sku} on ${f.store}`,
      };
    case "store.unhealthy":
      return {
        title: `Store down: ${f.store ?? "a store"}`,
        body: [
          `${f.store ?? "A connected store"} is ${f.status ?? "not answering"}${f.reason ? `: ${f.reason}` : ""}.`,
          "SyncFlow keeps its work queued and retries; check the store and its SyncFlow plugin.",
        ],
        sms: `Store DOWN: ${f.store ?? "a store"}${f.reason ? ` - ${String(f.reason).slice(0, 60)}` : ""}`,
      };
    case "data.request":
      return {
        title: "A customer asked for their data",
        body: [
          `Shopify forwarded a customer data request${f.email ? ` for ${f.email}` : ""}${f.ordersRequested ? ` (${f.ordersRequested} order(s))` : ""}.`,
          "SyncFlow keeps only the name and e-mail on imported orders; export them from Orders if needed.",
        ],
        sms: "Customer data request received",
      };
    case "sku.ambiguous":
      return {
        title: `${f.count ?? "Some"} SKU(s) differ only by letter case${f.store ? ` on ${f.store}` : ""}`,
        body: [
          `These listings are not synced: their SKU differs only by upper/lower case from another one (for example 85123A and 85123a), so SyncFlow cannot tell which product sells which item.`,
          "Rename one of each pair in Shopify or in the store; SyncFlow links it again on its own. Listings → Needs review lists them.",
        ],
        sms: `${f.count ?? "Some"} SKUs differ only by case${f.store ? ` on ${f.store}` : ""}`,
      };
    case "summary.daily":
      return {
        title: `Daily summary for ${f.date ?? "today"}`,
        body: [],
        sms: `SyncFlow daily summary ${f.date ?? ""}`,
      };
  }
}

/** Renders one notification. */
export function renderMessage(ctx: MessageContext): RenderedMessage {
  const h = headline(ctx);
  const prefix = ctx.test ? "[Test] " : "";
  const subject = `${prefix}${h.title} · ${ctx.shopName}`;
  const body = h.body.filter(Boolean);
  const lines = ctx.lines ?? [];
  const text = [
    ctx.test ? "This is a test message from SyncFlow: your settings work.\n" : "",
    `${h.title}`,
    "",
    ...body,
    ...(lines.length ? ["", ...lines.map((l) => `- ${l}`)] : []),
    "",
    `Open in SyncFlow: ${ctx.link}`,
    "",
    `-- SyncFlow for ${ctx.shopName} (${ctx.shopDomain})`,
    `Change what you receive: ${ctx.settingsLink}`,
  ]
    .filter((l, i) => l !== "" || i > 0)
    .join("\n");
  const html = `<!doctype html>
<html><body style="font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,sans-serif;color:#303030;max-width:560px;margin:0 auto;padding:16px">
${ctx.test ? `<p style="background:#eef4ff;padding:8px;border-radius:6px">This is a test message from SyncFlow: your settings work.</p>` : ""}
<h2 style="font-size:18px;margin:0 0 12px">${esc(h.title)}</h2>
${body.map((b) => `<p style="margin:0 0 8px">${esc(b)}</p>`).join("\n")}
${lines.length ? `<ul>${lines.map((l) => `<li>${esc(l)}</li>`).join("")}</ul>` : ""}
<p style="margin:16px 0"><a href="${esc(ctx.link)}" style="background:#303030;color:#fff;padding:8px 14px;border-radius:8px;text-decoration:none">Open in SyncFlow</a></p>
<hr style="border:none;border-top:1px solid #e3e3e3">
<p style="font-size:12px;color:#616161">SyncFlow for ${esc(ctx.shopName)} (${esc(ctx.shopDomain)}) · <a href="${esc(ctx.settingsLink)}">Change what you receive</a></p>
</body></html>`;
  const sms = smsText(
    `${ctx.test ? "TEST: " : ""}${ctx.shopName}: ${lines.length && ctx.kind !== "summary.daily" ? `${lines.length} alerts: ${lines.join("; ")}` : h.sms}`,
  );
  return { subject, text, html, sms };
}

/** Renders a digest of several held notifications (subjects or SMS lines). */
export function renderDigest(opts: {
  shopName: string;
  shopDomain: string;
  link: string;
  settingsLink: string;
  entries: string[];
  reason: string;
}): RenderedMessage {
  const n = opts.entries.length;
  const title = `${n} SyncFlow alerts ${opts.reason === "quiet_hours" ? "from quiet hours" : "in the last minutes"}`;
  const text = [
    title,
    "",
    ...opts.entries.map((e) => `- ${e}`),
    "",
    `Open in SyncFlow: ${opts.link}`,
    "",
    `-- SyncFlow for ${opts.shopName} (${opts.shopDomain})`,
    `Change what you receive: ${opts.settingsLink}`,
  ].join("\n");
  const html = `<!doctype html><html><body style="font-family:sans-serif;max-width:560px;margin:0 auto;padding:16px">
<h2 style="font-size:18px">${esc(title)}</h2><ul>${opts.entries.map((e) => `<li>${esc(e)}</li>`).join("")}</ul>
<p><a href="${esc(opts.link)}">Open in SyncFlow</a></p><p style="font-size:12px;color:#616161">SyncFlow for ${esc(opts.shopName)} · <a href="${esc(opts.settingsLink)}">Change what you receive</a></p></body></html>`;
  const sms = smsText(`${opts.shopName}: ${n} alerts: ${opts.entries.join("; ")}`);
  return { subject: `${title} · ${opts.shopName}`, text, html, sms };
}

/** Short label of a kind for digests and logs. */
export const kindLabel = (kind: string) => KIND_INFO[kind as NotificationKind]?.label ?? kind;
