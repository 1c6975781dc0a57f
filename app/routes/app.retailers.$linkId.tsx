/**
 * One retailer's settings, edited by the central shop (issue 14 item 4, docs/decisions/195): which of the retailer's
 * locations SyncFlow writes, which central locations feed it and which absorbs its sales, inventory sync on/off, and
 * the orders-hub settings (issue 15; decision 243): import orders, from statuses, look-back hours, tags, note, billing
 * address (the customer's or the retailer's own), Shopify's customer e-mails, push fulfilments, fulfilment look-back,
 * the retailer's customer told of shipments — the same fields as Settings → Orders hub (OrderSettingsFields), validated
 * before anything is saved. Unlink keeps the retailer's listings and history. Only the central shop's own retailers
 * load (another shop gets 404).
 */
import { useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useRouteError } from "@remix-run/react";
import {
  Banner,
  BlockStack,
  Button,
  Card,
  Checkbox,
  ChoiceList,
  FormLayout,
  InlineStack,
  Layout,
  Page,
  Select,
  Text,
} from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import {
  listRetailers,
  RetailerLinkError,
  unlinkRetailer,
  updateRetailerSettings,
  type RetailerSettingsInput,
} from "../retailers/links.server";
import { recordForShop } from "../sync/stores/stores.server";
import prisma from "../db.server";
import { PageError } from "../components/PageStates";
import { getOrderSettings, saveOrderSettings, validateOrderSettings } from "../models/order-settings.server";
import { OrderSettingsFields, orderSettingsPayload, orderSettingsState } from "../components/OrderSettingsFields";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Retailer" }];

/** The retailer (of the session's shop), its settings and both shops' locations. */
export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const r = (await listRetailers(shop.id)).find((x) => x.linkId === params.linkId);
  if (!r) throw json({ message: "No such retailer for this shop." }, { status: 404 });
  const central = await prisma.location.findMany({
    where: { shopId: shop.id, isActive: true },
    select: { gid: true, name: true },
    orderBy: { gid: "asc" },
  });
  const link = await prisma.retailerLink.findUniqueOrThrow({
    where: { id: r.linkId },
    select: { retailerShopId: true },
  });
  let retailerLocations: { id: string; name: string }[] = [];
  let locationsError: string | null = null;
  try {
    const { adapter } = await recordForShop(link.retailerShopId);
    retailerLocations = (await adapter.listLocations())
      .filter((l) => l.isActive !== false)
      .map((l) => ({ id: l.id, name: l.name }));
  } catch (e) {
    locationsError = `The retailer's locations could not be read (${(e as Error).message}).`;
  }
  const orderSettings = (await getOrderSettings(shop.id)).find((c) => c.channelId === r.channelId)!;
  return json({
    orderSettings,
    retailer: { ...r, linkedAt: r.linkedAt.toISOString(), lastSyncAt: r.lastSyncAt?.toISOString() ?? null },
    central,
    retailerLocations,
    locationsError,
  });
};

type ActionData = { ok: true; message: string } | { ok: false; error: string; errors?: Record<string, string> };

/** `intent=save` (payload = JSON of RetailerSettingsInput) or `intent=unlink`. */
export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  const form = await request.formData();
  const linkId = String(params.linkId ?? "");
  try {
    if (form.get("intent") === "unlink") {
      await unlinkRetailer(shop.id, linkId);
      return json<ActionData>({
        ok: true,
        message: "Retailer unlinked. Its listings and history are kept; it can link again with a new code.",
      });
    }
    if (form.get("intent") === "save") {
      let input: RetailerSettingsInput;
      try {
        input = JSON.parse(String(form.get("payload") ?? "")) as RetailerSettingsInput;
      } catch {
        return json<ActionData>({ ok: false, error: "The settings could not be read." }, { status: 400 });
      }
      // The orders hub settings (`orders`, OrderSettingsFields' payload) are checked before either form is written.
      let orders: unknown = null;
      try {
        orders = form.get("orders") ? JSON.parse(String(form.get("orders"))) : null;
      } catch {
        return json<ActionData>({ ok: false, error: "The settings could not be read." }, { status: 400 });
      }
      const errors = orders ? validateOrderSettings(orders) : null;
      if (errors)
        return json<ActionData>(
          { ok: false, error: "Fix the highlighted fields, then save.", errors },
          { status: 422 },
        );
      await updateRetailerSettings(shop.id, linkId, input);
      if (orders) {
        const saved = await saveOrderSettings(shop.id, orders);
        if (!saved.ok)
          return json<ActionData>(
            { ok: false, error: "Fix the highlighted fields, then save.", errors: saved.errors },
            { status: saved.status },
          );
      }
      return json<ActionData>({ ok: true, message: "Settings saved." });
    }
  } catch (e) {
    if (e instanceof RetailerLinkError) return json<ActionData>({ ok: false, error: e.message }, { status: e.status });
    throw e;
  }
  return json<ActionData>({ ok: false, error: "Unknown action." }, { status: 400 });
};

export default function RetailerSettingsPage() {
  const { retailer: r, central, retailerLocations, locationsError, orderSettings } = useLoaderData<typeof loader>();
  const [orders, setOrders] = useState(() => orderSettingsState(orderSettings));
  const fetcher = useFetcher<typeof action>();
  const result = fetcher.data as ActionData | undefined;
  const [form, setForm] = useState({
    retailerLocationId: r.retailerLocationId ?? "",
    feedLocationIds: r.feedLocationIds,
    salesLocationId: r.salesLocationId ?? central[0]?.gid ?? "",
    syncInventory: r.syncInventory,
  });
  const set =
    <K extends keyof typeof form>(k: K) =>
    (v: (typeof form)[K]) =>
      setForm((f) => ({ ...f, [k]: v }));
  const save = () => {
    const payload: RetailerSettingsInput = {
      ...(form.retailerLocationId ? { retailerLocationId: form.retailerLocationId } : {}),
      feedLocationIds: form.feedLocationIds,
      ...(form.salesLocationId ? { salesLocationId: form.salesLocationId } : {}),
      syncInventory: form.syncInventory,
    };
    fetcher.submit(
      {
        intent: "save",
        payload: JSON.stringify(payload),
        orders: JSON.stringify(orderSettingsPayload(orderSettings.channelId, orders)),
      },
      { method: "post" },
    );
  };
  return (
    <Page title={r.name} subtitle={`Retailer Shopify store · ${r.domain}`} backAction={{ url: "/app/channels" }}>
      <TitleBar title={r.name} />
      <Layout>
        {result && (
          <Layout.Section>
            <Banner tone={result.ok ? "success" : "critical"}>{result.ok ? result.message : result.error}</Banner>
          </Layout.Section>
        )}
        {locationsError && (
          <Layout.Section>
            <Banner tone="warning">{locationsError}</Banner>
          </Layout.Section>
        )}
        <Layout.Section>
          <Card>
            <FormLayout>
              <Text as="h2" variant="headingMd">
                Inventory
              </Text>
              <Checkbox
                label="Sync inventory to this retailer"
                checked={form.syncInventory}
                onChange={set("syncInventory")}
              />
              <Select
                label="Retailer location SyncFlow writes"
                options={[
                  { label: "Choose a location", value: "" },
                  ...retailerLocations.map((l) => ({ label: l.name, value: l.id })),
                ]}
                value={form.retailerLocationId}
                onChange={set("retailerLocationId")}
              />
              <ChoiceList
                allowMultiple
                title="Central locations that feed this retailer (none = the sales location)"
                choices={central.map((l) => ({ label: l.name, value: l.gid }))}
                selected={form.feedLocationIds}
                onChange={set("feedLocationIds")}
              />
              <Select
                label="Central location that absorbs the retailer's sales"
                options={central.map((l) => ({ label: l.name, value: l.gid }))}
                value={form.salesLocationId}
                onChange={set("salesLocationId")}
              />
            </FormLayout>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <FormLayout>
              <Text as="h2" variant="headingMd">
                Orders and fulfilments
              </Text>
              <OrderSettingsFields
                value={orders}
                onChange={setOrders}
                errors={result && !result.ok ? (result.errors ?? {}) : {}}
                statusChoices={orderSettings.statusChoices}
                storeLabel="retailer"
                idPrefix="retailer-orders"
              />
            </FormLayout>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <InlineStack gap="200">
            <Button variant="primary" onClick={save} loading={fetcher.state !== "idle"}>
              Save
            </Button>
            {r.status === "linked" && (
              <Button tone="critical" onClick={() => fetcher.submit({ intent: "unlink" }, { method: "post" })}>
                Unlink retailer
              </Button>
            )}
          </InlineStack>
          <BlockStack gap="100">
            <Text as="p" tone="subdued">
              {r.linked} variants linked by SKU{r.unlinkedItems ? `, ${r.unlinkedItems} not linked (see Listings)` : ""}
              .
            </Text>
          </BlockStack>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Retailer" error={useRouteError()} />;
}
