/** Overview: each connected store's health, sync mode, last sync and listing counts; onboarding when no WooCommerce store yet. */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData, useRouteError } from "@remix-run/react";
import { BlockStack, Box, Button, CalloutCard, Card, InlineGrid, InlineStack, Layout, Page, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { getOverview } from "../models/overview.server";
import { ChannelStatusBadge, ModeBadge, kindLabel } from "../components/StatusBadges";
import { Time } from "../components/Time";
import { formatCount } from "../components/format";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Overview" }];

/** The shop's stores with counts (filtered by the session's shop). */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const overview = await getOverview(shop.id);
  return json({ shopName: shop.name ?? shop.domain, ...overview });
};

export default function Overview() {
  const { shopName, channels, catalogItems, hasWooCommerce } = useLoaderData<typeof loader>();
  return (
    <Page title="Overview" subtitle={`Stock kept exact across ${shopName}'s stores`}>
      <TitleBar title="Overview" />
      <BlockStack gap="500">
        {!hasWooCommerce && (
          <CalloutCard
            title="Connect your first WooCommerce store"
            illustration="/images/connect-store.svg"
            primaryAction={{ content: "Create a connection code", url: "/app/channels" }}
          >
            <BlockStack gap="200">
              <Text as="p">
                SyncFlow keeps each WooCommerce store's stock equal to your Shopify stock, so no store sells what you do not have.
              </Text>
              <Text as="p">
                1. Install the SyncFlow plugin in WordPress. 2. Create a one-time connection code on the Channels page. 3. Paste the hub URL and
                the code in WooCommerce → Settings → SyncFlow.
              </Text>
            </BlockStack>
          </CalloutCard>
        )}
        <Layout>
          <Layout.Section>
            <BlockStack gap="400">
              <Text as="h2" variant="headingMd">
                Connected stores
              </Text>
              {channels.length === 0 ? (
                <Card>
                  <BlockStack gap="200">
                    <Text as="h3" variant="headingSm">
                      No stores yet
                    </Text>
                    <Text as="p">Your Shopify store appears here once SyncFlow has read its locations. Reload in a minute.</Text>
                  </BlockStack>
                </Card>
              ) : (
                <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
                  {channels.map((c) => (
                    <Card key={c.id}>
                      <BlockStack gap="300">
                        <InlineStack align="space-between" blockAlign="center" gap="200">
                          <Text as="h3" variant="headingSm">
                            {c.name}
                          </Text>
                          <InlineStack gap="100">
                            <ChannelStatusBadge status={c.status} reason={c.statusReason} />
                            {c.kind === "woocommerce" && <ModeBadge mode={c.mode} />}
                          </InlineStack>
                        </InlineStack>
                        <Text as="p" tone="subdued">
                          {kindLabel(c.kind)} · {c.baseUrl}
                        </Text>
                        {c.statusReason && c.status !== "active" && (
                          <Text as="p" tone="critical">
                            {c.statusReason}
                          </Text>
                        )}
                        <InlineGrid columns={3} gap="200">
                          <Stat label="Linked listings" value={formatCount(c.linked)} />
                          <Stat label="Unmatched" value={formatCount(c.unmatched + c.needsAttention)} />
                          <BlockStack gap="100">
                            <Text as="span" tone="subdued" variant="bodySm">
                              Last sync
                            </Text>
                            <Text as="span" variant="bodySm">
                              <Time value={c.lastSyncAt} />
                            </Text>
                          </BlockStack>
                        </InlineGrid>
                      </BlockStack>
                    </Card>
                  ))}
                </InlineGrid>
              )}
            </BlockStack>
          </Layout.Section>
          <Layout.Section variant="oneThird">
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  Catalog
                </Text>
                <Text as="p">
                  <Text as="span" fontWeight="bold">
                    {formatCount(catalogItems)}
                  </Text>{" "}
                  SKUs tracked
                </Text>
                <Box>
                  <Button url="/app/inventory">View inventory</Button>
                </Box>
              </BlockStack>
            </Card>
          </Layout.Section>
        </Layout>
      </BlockStack>
    </Page>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <BlockStack gap="100">
      <Text as="span" tone="subdued" variant="bodySm">
        {label}
      </Text>
      <Text as="span" variant="headingMd">
        {value}
      </Text>
    </BlockStack>
  );
}

export function ErrorBoundary() {
  return <PageError title="Overview" error={useRouteError()} />;
}
