/**
 * Pure logic of the SyncFlow admin block (no I/O, no UI): the backend request it makes, and how the backend's
 * answer (app/models/product-block.server.ts `ProductBlockData`) becomes rows on screen. Tested in model.test.ts;
 * the component (BlockExtension.tsx) only renders what this returns.
 */

/** The backend's answer (mirror of ProductBlockData; quantities in units, times ISO-8601). */
export interface BlockData {
  productId: string;
  variants: {
    itemId: string;
    sku: string;
    title: string;
    shopifyAvailable: number | null;
    channels: {
      channelId: string;
      name: string;
      kind: string;
      paused: boolean;
      linkState: string;
      quantity: number | null;
      lastSyncAt: string | null;
    }[];
    openConflicts: number;
    lastSyncAt: string | null;
  }[];
  channels: { id: string; name: string; kind: string; status: string; paused: boolean }[];
}

export type Tone = "success" | "warning" | "critical" | "info" | "neutral";

/** One cell of the table: a channel's quantity and link state for one variant. */
export interface CellView {
  channel: string;
  text: string;
  state: string;
  tone: Tone;
}
export interface RowView {
  itemId: string;
  label: string;
  shopify: string;
  cells: CellView[];
  conflicts: string | null;
  conflictTone: Tone;
  lastSync: string;
}
export interface BlockView {
  heading: string;
  summary: string;
  rows: RowView[];
  columns: string[];
  empty: string | null;
}

/** The backend URL for a product (relative: the admin resolves it against the app's URL). */
export function blockUrl(productId: string, appUrl = ""): string {
  return `${appUrl.replace(/\/$/, "")}/api/extension/product?id=${encodeURIComponent(productId)}`;
}

/** The "Sync now" request (POST, JSON body) for a product. */
export function syncRequest(
  productId: string,
  appUrl = "",
): { url: string; init: { method: "POST"; headers: Record<string, string>; body: string } } {
  return {
    url: `${appUrl.replace(/\/$/, "")}/api/extension/product`,
    init: {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ intent: "sync", id: productId }),
    },
  };
}

const LINK_STATES: Record<string, { label: string; tone: Tone }> = {
  linked: { label: "Linked", tone: "success" },
  unmatched: { label: "Not linked", tone: "warning" },
  duplicate_sku: { label: "Duplicate SKU", tone: "critical" },
  no_sku: { label: "No SKU", tone: "warning" },
  not_stocked: { label: "Stock not managed", tone: "neutral" },
  not_listed: { label: "Not listed", tone: "neutral" },
};

/** Merchant words for a link state. */
export function linkStateLabel(state: string): { label: string; tone: Tone } {
  return LINK_STATES[state] ?? { label: state.replace(/_/g, " "), tone: "neutral" };
}

/** "just now", "4 min ago", "3 h ago", "2 d ago", or "never" — relative to `now` (ms). */
export function relativeTime(iso: string | null, now: number): string {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** Turns the backend's answer into what the block shows (`now` in ms, for "last sync"). */
export function buildBlockView(data: BlockData, now: number): BlockView {
  const columns = data.channels.map((c) => (c.paused ? `${c.name} (paused)` : c.name));
  const rows = data.variants.map((v): RowView => {
    const conflicts =
      v.openConflicts > 0 ? `${v.openConflicts} open conflict${v.openConflicts === 1 ? "" : "s"}` : null;
    return {
      itemId: v.itemId,
      label: v.sku ? `${v.sku} · ${v.title}` : v.title,
      shopify: v.shopifyAvailable == null ? "—" : String(v.shopifyAvailable),
      cells: v.channels.map((c) => {
        const s = linkStateLabel(c.linkState);
        const linked = c.linkState === "linked";
        return {
          channel: c.name,
          text: linked && c.quantity != null ? String(c.quantity) : "—",
          state: s.label,
          tone: linked && c.quantity === 0 ? "critical" : s.tone,
        };
      }),
      conflicts,
      conflictTone: conflicts ? "critical" : "success",
      lastSync: relativeTime(v.lastSyncAt, now),
    };
  });
  const linked = data.variants.reduce((n, v) => n + v.channels.filter((c) => c.linkState === "linked").length, 0);
  const cells = data.variants.length * data.channels.length;
  const conflictTotal = data.variants.reduce((n, v) => n + v.openConflicts, 0);
  const summary = !data.variants.length
    ? "Not imported yet"
    : `${linked} of ${cells} listings linked${conflictTotal ? ` · ${conflictTotal} open conflict${conflictTotal === 1 ? "" : "s"}` : ""}`;
  const empty = !data.variants.length
    ? "SyncFlow has not imported this product yet. It appears here after the next catalog sync."
    : !data.channels.length
      ? "No sales channel is connected. Connect a store in SyncFlow → Channels."
      : null;
  return { heading: "SyncFlow stock", summary, rows, columns, empty };
}
