/**
 * The orders hub journey of one order as Orders and the order detail show it (issue 15 item 5): a badge for the stage
 * (received → imported → fulfilled → tracking at the store, or failed / needs attention) and the central order's link.
 * Input: `Journey` from app/models/order-journey.server.ts (JSON).
 */
import { Badge, BlockStack, InlineStack, Link, Text } from "@shopify/polaris";
import type { Journey, JourneyStage } from "../lib/order-journey";

type Tone = "success" | "critical" | "warning" | "attention" | "info" | undefined;
type Progress = "incomplete" | "partiallyComplete" | "complete" | undefined;

/** Label, tone and progress of each stage. */
export const STAGE: Record<JourneyStage, { label: string; tone: Tone; progress: Progress }> = {
  not_imported: { label: "Not imported", tone: undefined, progress: "incomplete" },
  received: { label: "Received", tone: undefined, progress: "incomplete" },
  queued: { label: "Importing", tone: "info", progress: "incomplete" },
  import_failed: { label: "Import failed", tone: "critical", progress: "incomplete" },
  imported: { label: "Imported", tone: "info", progress: "partiallyComplete" },
  partial: { label: "Partly fulfilled", tone: "attention", progress: "partiallyComplete" },
  fulfilled: { label: "Fulfilled", tone: "warning", progress: "partiallyComplete" },
  delivered: { label: "Tracking at store", tone: "success", progress: "complete" },
  cancelled: { label: "Cancelled", tone: undefined, progress: undefined },
  central: { label: "Shopify order", tone: undefined, progress: undefined },
};

/** The central order's name linked to it in Shopify Admin (App Bridge opens `shopify:admin/…` URLs). */
export function CentralOrderLink({ central }: { central: Journey["central"] }) {
  if (!central) return null;
  const label = central.name ?? "Shopify order";
  return central.adminUrl ? (
    <Link url={central.adminUrl} target="_top" removeUnderline accessibilityLabel={`Open ${label} in Shopify`}>
      {label}
    </Link>
  ) : (
    <Text as="span">{label}</Text>
  );
}

/** One list cell: stage badge, the central order link, fulfilment pushback progress and the attention marker. */
export function JourneyCell({ journey: j }: { journey: Journey }) {
  const s = STAGE[j.stage];
  if (j.stage === "central")
    return (
      <Text as="span" tone="subdued">
        —
      </Text>
    );
  const f = j.fulfilments;
  return (
    <BlockStack gap="100">
      <InlineStack gap="100" blockAlign="center" wrap={false}>
        <Badge tone={s.tone} progress={s.progress}>
          {s.label}
        </Badge>
        {j.attention.length > 0 && <Badge tone="critical">Needs attention</Badge>}
      </InlineStack>
      {(j.central || f.total > 0) && (
        <InlineStack gap="100" blockAlign="center" wrap={false}>
          <CentralOrderLink central={j.central} />
          {f.total > 0 && (
            <Text as="span" variant="bodySm" tone={f.failed ? "critical" : "subdued"}>
              {`· tracking ${f.pushed}/${f.total} at store${f.failed ? `, ${f.failed} failed` : ""}`}
            </Text>
          )}
        </InlineStack>
      )}
    </BlockStack>
  );
}
