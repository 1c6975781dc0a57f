/** Small Polaris badges for store health, sync mode and listing match status. */
import { Badge, Tooltip } from "@shopify/polaris";

type Tone = "success" | "warning" | "critical" | "info" | "attention" | undefined;

const STATUS: Record<string, { label: string; tone: Tone }> = {
  active: { label: "Healthy", tone: "success" },
  degraded: { label: "Degraded", tone: "warning" },
  failing: { label: "Failing", tone: "critical" },
  disconnected: { label: "Disconnected", tone: undefined },
};

/** Store health from `Channel.status`, with `statusReason` as a tooltip and visible text for screen readers. */
export function ChannelStatusBadge({ status, reason }: { status: string; reason?: string | null }) {
  const s = STATUS[status] ?? { label: status, tone: "info" as Tone };
  const badge = <Badge tone={s.tone}>{s.label}</Badge>;
  return reason ? (
    <Tooltip content={reason}>
      <span>{badge}</span>
    </Tooltip>
  ) : (
    badge
  );
}

/** "Exact" (compare-and-set through the SyncFlow plugin) or "Buffered" sync mode. */
export function ModeBadge({ mode }: { mode: string }) {
  return mode === "exact" ? <Badge tone="info">Exact</Badge> : <Badge>{mode === "buffered" ? "Buffered" : mode}</Badge>;
}

const MATCH: Record<string, { label: string; tone: Tone }> = {
  linked: { label: "Linked", tone: "success" },
  unmatched: { label: "Unmatched", tone: "warning" },
  duplicate_sku: { label: "Duplicate SKU", tone: "critical" },
  no_sku: { label: "No SKU", tone: "warning" },
  not_stocked: { label: "Stock not managed", tone: "attention" },
  not_listed: { label: "Not listed", tone: undefined },
};

/** Listing match status (`Listing.matchStatus`, or "not_listed"). */
export function MatchBadge({ status }: { status: string }) {
  const m = MATCH[status] ?? { label: status, tone: undefined };
  return <Badge tone={m.tone}>{m.label}</Badge>;
}

/** Human label of a channel kind. */
export function kindLabel(kind: string): string {
  return kind === "shopify" ? "Shopify (record)" : kind === "woocommerce" ? "WooCommerce" : kind;
}
