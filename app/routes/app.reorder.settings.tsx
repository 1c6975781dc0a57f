/**
 * Forecast settings (issue 18 item 2; docs/decisions/294): the shop's lead time, safety stock, order-for days, sales
 * history and low-cover alerts, and per-item lead time / safety stock overrides (by SKU). Validated on the server
 * with zod (app/forecast/settings.server.ts); errors come back per field (422). Saving queues a recalculation.
 * Plan gate: analytics.
 */
import { useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useRouteError } from "@remix-run/react";
import {
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  Checkbox,
  FormLayout,
  IndexTable,
  InlineStack,
  Layout,
  Page,
  Text,
  TextField,
} from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import prisma from "../db.server";
import { requireShop } from "../models/shop.server";
import { hasFeature } from "../billing/billing.server";
import { enqueue, QUEUES } from "../jobs/queue.server";
import { getForecastSettings, saveItemForecastSettings, saveShopForecastSettings } from "../forecast/settings.server";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Forecast settings" }];

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const allowed = await hasFeature(shop.id, "analytics");
  const [settings, overrides] = await Promise.all([
    getForecastSettings(shop.id),
    prisma.itemForecastSetting.findMany({
      where: { shopId: shop.id },
      select: { itemId: true, leadTimeDays: true, safetyStock: true, item: { select: { sku: true, title: true } } },
      orderBy: { item: { skuKey: "asc" } },
      take: 500,
    }),
  ]);
  return json({ allowed, settings, overrides });
};

type ActionData = { ok: true; saved: string } | { ok: false; form: string; errors: Record<string, string> };

/** intent=shop (defaults) | item (override by SKU) | remove (an item's override). */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  if (!(await hasFeature(shop.id, "analytics")))
    return json<ActionData>(
      { ok: false, form: "shop", errors: { form: "Your plan does not include forecasting." } },
      { status: 403 },
    );
  const form = Object.fromEntries(await request.formData());
  const intent = String(form.intent ?? "");
  let r: { ok: true } | { ok: false; errors: Record<string, string> };
  if (intent === "shop") r = await saveShopForecastSettings(shop.id, form);
  else if (intent === "item" || intent === "remove") {
    const sku = String(form.sku ?? "").trim();
    const item = sku
      ? await prisma.catalogItem.findFirst({
          where: { shopId: shop.id, skuKey: sku.toLowerCase() },
          select: { id: true },
        })
      : null;
    if (!item) r = { ok: false, errors: { sku: sku ? `No item with SKU ${sku}` : "Enter a SKU" } };
    else
      r = await saveItemForecastSettings(
        shop.id,
        intent === "remove" ? { itemId: item.id, leadTimeDays: "", safetyStock: "" } : { ...form, itemId: item.id },
      );
  } else return json<ActionData>({ ok: false, form: "shop", errors: { form: "Unknown action" } }, { status: 400 });
  if (!r.ok)
    return json<ActionData>(
      { ok: false, form: intent === "shop" ? "shop" : "item", errors: r.errors },
      { status: 422 },
    );
  await enqueue(QUEUES.forecastTick, { shopId: shop.id }, { singletonKey: `forecast:${shop.id}` });
  return json<ActionData>({ ok: true, saved: intent });
};

export default function ForecastSettings() {
  const { allowed, settings, overrides } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as ActionData | undefined;
  const nav = useNavigation();
  const shopErrors = data && !data.ok && data.form === "shop" ? data.errors : {};
  const itemErrors = data && !data.ok && data.form === "item" ? data.errors : {};
  const [v, setV] = useState({
    leadTimeDays: String(settings.leadTimeDays),
    safetyStock: String(settings.safetyStock),
    orderForDays: String(settings.orderForDays),
    historyDays: String(settings.historyDays),
    lowCoverAlerts: settings.lowCoverAlerts,
  });
  const [item, setItem] = useState({ sku: "", leadTimeDays: "", safetyStock: "" });
  const busy = nav.state === "submitting";
  return (
    <Page title="Forecast settings" backAction={{ content: "Reorder", url: "/app/reorder" }}>
      <TitleBar title="Forecast settings" />
      <BlockStack gap="400">
        {!allowed && (
          <Banner tone="info" title="Forecasting is part of the Professional and Enterprise plans">
            <p>You can review these settings; they take effect once your plan includes analytics.</p>
          </Banner>
        )}
        {data?.ok && (
          <Banner tone="success" title="Saved">
            <p>The forecast is being recalculated with the new settings.</p>
          </Banner>
        )}
        {shopErrors.form && <Banner tone="critical" title={shopErrors.form} />}
        <Layout>
          <Layout.AnnotatedSection
            id="defaults"
            title="Every item"
            description="Reorder point = demand per day × lead time + safety stock. When an item's available stock reaches it, order enough for the lead time plus the order-for days."
          >
            <Card>
              <Form method="post">
                <input type="hidden" name="intent" value="shop" />
                <FormLayout>
                  <FormLayout.Group>
                    <TextField
                      label="Lead time (days)"
                      name="leadTimeDays"
                      type="number"
                      value={v.leadTimeDays}
                      onChange={(x) => setV({ ...v, leadTimeDays: x })}
                      error={shopErrors.leadTimeDays}
                      helpText="From placing a purchase order to having the stock."
                      autoComplete="off"
                    />
                    <TextField
                      label="Safety stock (units)"
                      name="safetyStock"
                      type="number"
                      value={v.safetyStock}
                      onChange={(x) => setV({ ...v, safetyStock: x })}
                      error={shopErrors.safetyStock}
                      helpText="Kept in reserve for demand above the forecast."
                      autoComplete="off"
                    />
                  </FormLayout.Group>
                  <FormLayout.Group>
                    <TextField
                      label="Order for (days)"
                      name="orderForDays"
                      type="number"
                      value={v.orderForDays}
                      onChange={(x) => setV({ ...v, orderForDays: x })}
                      error={shopErrors.orderForDays}
                      helpText="Days of demand one order should cover once it arrives."
                      autoComplete="off"
                    />
                    <TextField
                      label="Sales history (days)"
                      name="historyDays"
                      type="number"
                      value={v.historyDays}
                      onChange={(x) => setV({ ...v, historyDays: x })}
                      error={shopErrors.historyDays}
                      helpText="14–90 complete days the forecast learns from."
                      autoComplete="off"
                    />
                  </FormLayout.Group>
                  <Checkbox
                    label="Notify me when an item reaches its reorder point"
                    name="lowCoverAlerts"
                    checked={v.lowCoverAlerts}
                    onChange={(x) => setV({ ...v, lowCoverAlerts: x })}
                    helpText="Sent as “Time to reorder” through your notification settings (recipients, quiet hours)."
                  />
                  {v.lowCoverAlerts && <input type="hidden" name="lowCoverAlerts" value="on" />}
                  <InlineStack align="end">
                    <Button submit variant="primary" loading={busy}>
                      Save
                    </Button>
                  </InlineStack>
                </FormLayout>
              </Form>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection
            id="items"
            title="Items with their own lead time or safety stock"
            description="Leave a field empty to use the default above."
          >
            <Card>
              <BlockStack gap="300">
                <Form method="post">
                  <input type="hidden" name="intent" value="item" />
                  <FormLayout>
                    <FormLayout.Group condensed>
                      <TextField
                        label="SKU"
                        name="sku"
                        value={item.sku}
                        onChange={(x) => setItem({ ...item, sku: x })}
                        error={itemErrors.sku ?? itemErrors.itemId}
                        autoComplete="off"
                      />
                      <TextField
                        label="Lead time (days)"
                        name="leadTimeDays"
                        type="number"
                        value={item.leadTimeDays}
                        onChange={(x) => setItem({ ...item, leadTimeDays: x })}
                        error={itemErrors.leadTimeDays}
                        autoComplete="off"
                      />
                      <TextField
                        label="Safety stock (units)"
                        name="safetyStock"
                        type="number"
                        value={item.safetyStock}
                        onChange={(x) => setItem({ ...item, safetyStock: x })}
                        error={itemErrors.safetyStock}
                        autoComplete="off"
                      />
                    </FormLayout.Group>
                    <InlineStack align="end">
                      <Button submit loading={busy}>
                        Save item
                      </Button>
                    </InlineStack>
                  </FormLayout>
                </Form>
                <IndexTable
                  resourceName={{ singular: "item", plural: "items" }}
                  itemCount={overrides.length}
                  selectable={false}
                  headings={[{ title: "SKU" }, { title: "Lead time" }, { title: "Safety stock" }, { title: "Action" }]}
                  emptyState={
                    <Box padding="300">
                      <Text as="p" tone="subdued">
                        No item has its own settings.
                      </Text>
                    </Box>
                  }
                >
                  {overrides.map((o, i) => (
                    <IndexTable.Row id={o.itemId} key={o.itemId} position={i}>
                      <IndexTable.Cell>{o.item.sku}</IndexTable.Cell>
                      <IndexTable.Cell>{o.leadTimeDays ?? "default"}</IndexTable.Cell>
                      <IndexTable.Cell>{o.safetyStock ?? "default"}</IndexTable.Cell>
                      <IndexTable.Cell>
                        <Form method="post">
                          <input type="hidden" name="intent" value="remove" />
                          <input type="hidden" name="sku" value={o.item.sku} />
                          <Button submit variant="plain" accessibilityLabel={`Use defaults for ${o.item.sku}`}>
                            Use defaults
                          </Button>
                        </Form>
                      </IndexTable.Cell>
                    </IndexTable.Row>
                  ))}
                </IndexTable>
              </BlockStack>
            </Card>
          </Layout.AnnotatedSection>
        </Layout>
      </BlockStack>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Forecast settings" error={useRouteError()} />;
}
