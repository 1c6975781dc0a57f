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
  ambiguous_sku: { label: "SKU differs only by case", tone: "critical" },
  no_sku: { label: "No SKU", tone: "warning" },
  not_stocked: { label: "Stock not managed", tone: "attention" },
  not_listed: { label: "Not listed", tone: undefined },
};

/** Listing match status (`Listing.matchStatus`, or "not_listed"). */
export function MatchBadge({ status }: { status: string }) {
  const m = MATCH[status] ?? { label: status, tone: undefined };
  return <Badge tone={m.tone}>{m.label}</Badge>;
}

const HEALTH: Record<string, { label: string; tone: Tone }> = {
  healthy: { label: "Healthy", tone: "success" },
  degraded: { label: "Degraded", tone: "warning" },
  failing: { label: "Failing", tone: "critical" },
  disconnected: { label: "Disconnected", tone: undefined },
};

/** Dashboard health (healthy / degraded / failing / disconnected). The reason is shown next to it by the caller. */
export function HealthBadge({ health }: { health: string }) {
  const h = HEALTH[health] ?? { label: health, tone: "info" as Tone };
  return <Badge tone={h.tone}>{h.label}</Badge>;
}

const RUN: Record<string, { label: string; tone: Tone }> = {
  running: { label: "Running", tone: "info" },
  succeeded: { label: "Succeeded", tone: "success" },
  failed: { label: "Failed", tone: "critical" },
};

/** SyncRun status badge. */
export function RunStatusBadge({ status }: { status: string }) {
  const r = RUN[status] ?? { label: status, tone: undefined };
  return <Badge tone={r.tone}>{r.label}</Badge>;
}

/** Human label of a SyncRun kind. */
export function runKindLabel(kind: string, dryRun = false): string {
  const k: Record<string, string> = {
    reconcile: "Reconciliation",
    bulk_sync: "Bulk sync",
    bulk_buffer: "Set buffer",
    bulk_link: "Link listings",
    bulk_unlink: "Unlink listings",
    link: "Catalog link",
  };
  return `${k[kind] ?? kind}${dryRun ? " (dry run)" : ""}`;
}
