/**
 * Channels page (issue 16): connect a sales channel by authorising SyncFlow on the platform — "Connect Amazon" with the
 * marketplaces the merchant chooses (several of one region: a unified account, decision 276). The action answers the app's start URL, which opens at the top level (outside the
 * admin iframe, App Bridge handles `_top`): Seller Central's consent page, then back to SyncFlow's callback.
 * Set-only channels say their protection level: a buffer (no compare-and-set on the platform), or an allocation when
 * the merchant reserves stock for them (decision 300).
 */
import { useState } from "react";
import { Banner, BlockStack, Button, Card, ChoiceList, InlineStack, Text } from "@shopify/polaris";

export interface AuthorizedKindRow {
  kind: string;
  label: string;
  configured: boolean;
  markets: { id: string; name: string }[];
  /** The kind's own protection-level text (Etsy); absent: the set-only text below. */
  description?: string;
}

export function ConnectAuthorizedCard(props: {
  kinds: AuthorizedKindRow[];
  /** `market`: the chosen market ids, comma-separated, in the list's order (the first is the primary). */
  onConnect: (kind: string, market: string) => void;
  connecting: boolean;
  error: string | null;
}) {
  const [market, setMarket] = useState<Record<string, string[]>>({});
  if (!props.kinds.length) return null;
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">
          Marketplaces
        </Text>
        {props.error && (
          <Banner tone="critical" title="Not connected">
            <Text as="p">{props.error}</Text>
          </Banner>
        )}
        {props.kinds.map((k) => {
          const chosen = market[k.kind] ?? (k.markets[0] ? [k.markets[0].id] : []);
          return (
            <BlockStack key={k.kind} gap="200">
              {k.description ? (
                <Text as="p" tone="subdued">
                  {k.description}
                </Text>
              ) : (
                <Text as="p" tone="subdued">
                  {k.label} takes absolute quantities only (last writer wins), so SyncFlow protects it with its buffer
                  and reconciliation, not compare-and-set — or, with &quot;Reserve this store&apos;s stock&quot; on in
                  Settings, with an allocation only it can sell (exact by allocation). Orders are polled within{" "}
                  {k.label}&apos;s rate limits; stock {k.label} fulfils itself (FBA) is shown but never written.
                </Text>
              )}
              {k.markets.length > 1 && (
                <>
                  <ChoiceList
                    title={`${k.label} marketplaces`}
                    allowMultiple
                    choices={k.markets.map((m) => ({ label: m.name, value: m.id }))}
                    selected={chosen}
                    onChange={(v) => setMarket((s) => ({ ...s, [k.kind]: v }))}
                    disabled={!k.configured}
                  />
                  <Text as="p" tone="subdued" variant="bodySm">
                    Choose every marketplace of one region where you sell with the same stock: SyncFlow polls orders
                    from all of them and writes each SKU&apos;s quantity to every marketplace it is offered in.
                  </Text>
                </>
              )}
              <InlineStack gap="200" blockAlign="end">
                <Button
                  onClick={() =>
                    props.onConnect(
                      k.kind,
                      k.markets
                        .filter((m) => chosen.includes(m.id))
                        .map((m) => m.id)
                        .join(","),
                    )
                  }
                  loading={props.connecting}
                  disabled={!k.configured || !chosen.length}
                >
                  {`Connect ${k.label}`}
                </Button>
              </InlineStack>
              {!k.configured && (
                <Text as="p" tone="caution" variant="bodySm">
                  {k.label} is not configured on this SyncFlow server (its application keys are missing).
                </Text>
              )}
            </BlockStack>
          );
        })}
      </BlockStack>
    </Card>
  );
}
