/**
 * Channels page (issue 16): connect a sales channel by authorising SyncFlow on the platform — "Connect Amazon" with the
 * marketplace the merchant chooses. The action answers the app's start URL, which opens at the top level (outside the
 * admin iframe, App Bridge handles `_top`): Seller Central's consent page, then back to SyncFlow's callback.
 * Set-only channels say their protection level: a buffer (no compare-and-set on the platform).
 */
import { useState } from "react";
import { Banner, BlockStack, Button, Card, InlineStack, Select, Text } from "@shopify/polaris";

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
  onConnect: (kind: string, market: string) => void;
  connecting: boolean;
  error: string | null;
}) {
  const [market, setMarket] = useState<Record<string, string>>({});
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
          const chosen = market[k.kind] ?? k.markets[0]?.id ?? "";
          return (
            <BlockStack key={k.kind} gap="200">
              {k.description ? (
                <Text as="p" tone="subdued">
                  {k.description}
                </Text>
              ) : (
                <Text as="p" tone="subdued">
                  {k.label} takes absolute quantities only (last writer wins), so SyncFlow protects it with its buffer
                  and reconciliation, not compare-and-set. Orders are polled within {k.label}&apos;s rate limits; stock{" "}
                  {k.label} fulfils itself (FBA) is shown but never written.
                </Text>
              )}
              <InlineStack gap="200" blockAlign="end">
                {k.markets.length > 1 && (
                  <Select
                    label={`${k.label} marketplace`}
                    options={k.markets.map((m) => ({ label: m.name, value: m.id }))}
                    value={chosen}
                    onChange={(v) => setMarket((s) => ({ ...s, [k.kind]: v }))}
                    disabled={!k.configured}
                  />
                )}
                <Button
                  onClick={() => props.onConnect(k.kind, chosen)}
                  loading={props.connecting}
                  disabled={!k.configured}
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
