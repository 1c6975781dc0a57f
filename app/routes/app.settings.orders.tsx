/**
 * Settings → Orders hub (issue 15; decision 243): per sales channel (WooCommerce store, retailer Shopify shop) whether
 * its orders import into this Shopify store and how (statuses, look-back, tags, note, billing address, Shopify's
 * customer e-mails), and whether fulfilments go back to it (look-back, the store telling its customer). Each store
 * saves on its own; the server validates (zod) and answers field errors with what to fix (422).
 * A retailer's settings are the same ones its page (app.retailers.$linkId.tsx) edits.
 */
import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useRouteError } from "@remix-run/react";
import { Badge, Banner, BlockStack, Box, Button, Card, InlineStack, Layout, Link, Page, Text } from "@shopify/polaris";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { getOrderSettings, saveOrderSettings, type OrderSettingsView } from "../models/order-settings.server";
import { OrderSettingsFields, orderSettingsPayload, orderSettingsState } from "../components/OrderSettingsFields";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Orders hub settings" }];

/** Every sales channel's order settings. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  return json({ channels: await getOrderSettings(shop.id) });
};

type ActionData = { ok: true; channelId: string } | { ok: false; channelId: string; errors: Record<string, string> };

/** `payload` = JSON of one channel's settings (order-settings.server.ts `orderSettingsSchema`). */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  let payload: { channelId?: unknown };
  try {
    payload = JSON.parse(String((await request.formData()).get("payload") ?? "")) as { channelId?: unknown };
  } catch {
    return json<ActionData>(
      { ok: false, channelId: "", errors: { form: "The form could not be read. Reload the page and try again." } },
      { status: 400 },
    );
  }
  const channelId = typeof payload?.channelId === "string" ? payload.channelId : "";
  const r = await saveOrderSettings(shop.id, payload);
  return r.ok
    ? json<ActionData>({ ok: true, channelId })
    : json<ActionData>({ ok: false, channelId, errors: r.errors }, { status: r.status });
};

function ChannelCard({ channel: c }: { channel: OrderSettingsView }) {
  const fetcher = useFetcher<typeof action>();
  const shopify = useAppBridge();
  const [value, setValue] = useState(() => orderSettingsState(c));
  const data = fetcher.data as ActionData | undefined;
  const errors = data && !data.ok ? data.errors : {};
  useEffect(() => {
    if (fetcher.state === "idle" && data?.ok) shopify.toast.show(`${c.name}: order settings saved`);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fetcher.state, data]);
  const storeLabel = c.retailerLinkId ? "retailer" : "store";
  return (
    <section aria-label={`Order settings of ${c.name}`}>
      <Card>
        <BlockStack gap="400">
          <InlineStack align="space-between" blockAlign="center">
            <BlockStack gap="050">
              <Text as="h2" variant="headingMd">
                {c.name}
              </Text>
              <Text as="span" tone="subdued">
                {c.kindLabel}
                {c.retailerLinkId && (
                  <>
                    {" · "}
                    <Link url={`/app/retailers/${c.retailerLinkId}`}>Retailer page</Link>
                  </>
                )}
              </Text>
            </BlockStack>
            <InlineStack gap="100">
              <Badge tone={c.importOrders ? "success" : undefined}>{c.importOrders ? "Importing" : "Import off"}</Badge>
              <Badge tone={c.pushFulfilments ? "success" : undefined}>
                {c.pushFulfilments ? "Pushing tracking" : "Pushback off"}
              </Badge>
            </InlineStack>
          </InlineStack>
          {data && !data.ok && (
            <Banner tone="critical" title="Fix the highlighted fields, then save.">
              {Object.entries(errors)
                .filter(([k]) => k === "form" || k === "channelId")
                .map(([, m]) => m)
                .join(" ")}
            </Banner>
          )}
          <OrderSettingsFields
            value={value}
            onChange={setValue}
            errors={errors}
            statusChoices={c.statusChoices}
            storeLabel={storeLabel}
            idPrefix={`orders-${c.channelId}`}
          />
          <Box>
            <Button
              variant="primary"
              loading={fetcher.state !== "idle"}
              onClick={() =>
                fetcher.submit(
                  { payload: JSON.stringify(orderSettingsPayload(c.channelId, value)) },
                  { method: "post" },
                )
              }
              accessibilityLabel={`Save order settings of ${c.name}`}
            >
              Save
            </Button>
          </Box>
        </BlockStack>
      </Card>
    </section>
  );
}

export default function OrdersHubSettings() {
  const { channels } = useLoaderData<typeof loader>();
  return (
    <Page
      title="Orders hub"
      subtitle="Import each store's orders here to fulfil them, and send tracking back to where the customer bought"
      backAction={{ content: "Settings", url: "/app/settings" }}
    >
      <TitleBar title="Orders hub" />
      <Layout>
        {channels.length === 0 ? (
          <Layout.Section>
            <Card>
              <Text as="p">
                No store is connected yet. <Link url="/app/channels">Connect a WooCommerce store or a retailer</Link> to
                import its orders.
              </Text>
            </Card>
          </Layout.Section>
        ) : (
          channels.map((c) => (
            <Layout.Section key={c.channelId}>
              <ChannelCard channel={c} />
            </Layout.Section>
          ))
        )}
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Orders hub" error={useRouteError()} />;
}
