/**
 * Reorder (issue 18 item 2; docs/decisions/294–295): per SKU, what is available, the forecast demand per day, days of
 * cover, the projected stockout date, the reorder point, the suggested quantity and an anomaly flag — from the stored
 * forecasts (app/forecast/reorder.server.ts). Tabs: to reorder now / all / anomalies; search by SKU or title; sort;
 * pages of 50; CSV export of the tab (/app/reorder/export). "Recalculate" queues the shop's forecast job. Plan gate:
 * analytics (Professional and above), as the analytics pages.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useLoaderData, useNavigation, useRouteError, useSearchParams, useSubmit } from "@remix-run/react";
import {
  Badge,
  BlockStack,
  Box,
  Button,
  Card,
  IndexTable,
  InlineStack,
  Link,
  Page,
  Pagination,
  Select,
  Tabs,
  Text,
  TextField,
} from "@shopify/polaris";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { useState } from "react";
import { requireShop } from "../models/shop.server";
import { hasFeature } from "../billing/billing.server";
import { enqueue, QUEUES } from "../jobs/queue.server";
import { reorderPage } from "../forecast/reorder.server";
import { REORDER_FILTERS, REORDER_SORTS, round1, type ReorderFilter, type ReorderSort } from "../forecast/reorder";
import { Time } from "../components/Time";
import { downloadFile } from "../components/download";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Reorder" }];

const PAGE_SIZE = 50;

/** One page of the session shop's Reorder list (`?tab=&q=&sort=&page=`). */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const url = new URL(request.url);
  const tab = (REORDER_FILTERS as readonly string[]).includes(url.searchParams.get("tab") ?? "")
    ? (url.searchParams.get("tab") as ReorderFilter)
    : "reorder";
  const sort = (REORDER_SORTS as readonly string[]).includes(url.searchParams.get("sort") ?? "")
    ? (url.searchParams.get("sort") as ReorderSort)
    : "cover";
  const q = url.searchParams.get("q") ?? "";
  const page = Math.max(1, Number(url.searchParams.get("page")) || 1);
  if (!(await hasFeature(shop.id, "analytics"))) return json({ allowed: false as const });
  const data = await reorderPage(shop.id, { filter: tab, sort, q, page, pageSize: PAGE_SIZE });
  return json({ allowed: true as const, tab, sort, q, page, pageSize: PAGE_SIZE, ...data });
};

/** `intent=recalculate`: queue this shop's forecast now (collapsed per shop). */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  if (!(await hasFeature(shop.id, "analytics")))
    return json({ ok: false, error: "Your plan does not include forecasting." }, { status: 403 });
  const form = await request.formData();
  if (form.get("intent") !== "recalculate") return json({ ok: false, error: "Unknown action" }, { status: 400 });
  await enqueue(QUEUES.forecastTick, { shopId: shop.id }, { singletonKey: `forecast:${shop.id}` });
  return json({ ok: true });
};

const TABS: { id: ReorderFilter; content: string }[] = [
  { id: "reorder", content: "Reorder now" },
  { id: "all", content: "All items" },
  { id: "anomaly", content: "Unusual sales" },
];

const fmt = (x: number | null | undefined) => (x == null ? "—" : String(round1(x)));

export default function Reorder() {
  const d = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const submit = useSubmit();
  const nav = useNavigation();
  const shopify = useAppBridge();
  const [q, setQ] = useState(d.allowed ? d.q : "");
  if (!d.allowed) {
    return (
      <Page title="Reorder">
        <TitleBar title="Reorder" />
        <Card>
          <BlockStack gap="200">
            <Text as="h2" variant="headingMd">
              Forecasting and reorder suggestions
            </Text>
            <Text as="p" tone="subdued">
              Demand per day, days of cover, stockout dates and suggested reorder quantities are part of the
              Professional and Enterprise plans.
            </Text>
            <Box>
              <Button url="/app/plan">See plans</Button>
            </Box>
          </BlockStack>
        </Card>
      </Page>
    );
  }
  const go = (patch: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!("page" in patch)) next.delete("page");
    submit(next, { method: "get", action: "/app/reorder" });
  };
  const pages = Math.max(1, Math.ceil(d.total / d.pageSize));
  const exportUrl = `/app/reorder/export?tab=${d.tab}`;
  return (
    <Page
      title="Reorder"
      subtitle="When each item runs out at its current pace, and what to order"
      fullWidth
      primaryAction={{
        content: "Export CSV",
        accessibilityLabel: "Export CSV of the reorder list",
        // A fetch (App Bridge adds the session token), saved as a file — as the other exports (app.activity.tsx).
        onAction: () =>
          void downloadFile(exportUrl, `syncflow-reorder-${d.tab}.csv`).then(
            (n) => shopify.toast.show(`Downloaded ${n}`),
            (e: Error) => shopify.toast.show(e.message, { isError: true }),
          ),
      }}
      secondaryActions={[
        { content: "Forecast settings", url: "/app/reorder/settings" },
        { content: "Scheduled reports", url: "/app/reports" },
      ]}
    >
      <TitleBar title="Reorder" />
      <BlockStack gap="400">
        <Card>
          <InlineStack align="space-between" blockAlign="center" gap="300">
            <BlockStack gap="100">
              <Text as="p" variant="headingSm">
                {d.toReorder} {d.toReorder === 1 ? "item is" : "items are"} at or under the reorder point
              </Text>
              <Text as="p" tone="subdued" variant="bodySm">
                {d.computedAt ? (
                  <>
                    Forecast of <Time value={d.computedAt} />, from sales on every channel; sold-out days are left
                    out.{" "}
                  </>
                ) : (
                  "No forecast yet: it runs every hour, or recalculate now. "
                )}
                <Link url="/app/reorder/method">How this is calculated</Link>
              </Text>
            </BlockStack>
            <Form method="post">
              <input type="hidden" name="intent" value="recalculate" />
              <Button submit loading={nav.state === "submitting"}>
                Recalculate
              </Button>
            </Form>
          </InlineStack>
        </Card>
        <Card padding="0">
          <Tabs
            tabs={TABS.map((t) => ({ id: t.id, content: t.content, panelID: `${t.id}-panel` }))}
            selected={TABS.findIndex((t) => t.id === d.tab)}
            onSelect={(i) => go({ tab: TABS[i]!.id })}
          />
          <Box padding="300">
            <InlineStack gap="300" blockAlign="end" wrap>
              <Box minWidth="260px">
                <Form
                  method="get"
                  action="/app/reorder"
                  onSubmit={(e) => {
                    e.preventDefault();
                    go({ q });
                  }}
                >
                  <TextField
                    label="Search SKU or title"
                    value={q}
                    onChange={setQ}
                    autoComplete="off"
                    clearButton
                    onClearButtonClick={() => {
                      setQ("");
                      go({ q: "" });
                    }}
                  />
                </Form>
              </Box>
              <Box minWidth="200px">
                <Select
                  label="Sort by"
                  value={d.sort}
                  options={[
                    { label: "Days of cover (least first)", value: "cover" },
                    { label: "Demand per day (most first)", value: "demand" },
                    { label: "Suggested quantity (most first)", value: "suggested" },
                    { label: "SKU", value: "sku" },
                  ]}
                  onChange={(v) => go({ sort: v })}
                />
              </Box>
            </InlineStack>
          </Box>
          <IndexTable
            resourceName={{ singular: "item", plural: "items" }}
            itemCount={d.rows.length}
            selectable={false}
            headings={[
              { title: "SKU" },
              { title: "Available", alignment: "end" },
              { title: "Demand/day", alignment: "end" },
              { title: "Days of cover", alignment: "end" },
              { title: "Stockout date" },
              { title: "Reorder point", alignment: "end" },
              { title: "Suggested qty", alignment: "end" },
              { title: "Anomaly" },
            ]}
            emptyState={
              <Box padding="600">
                <BlockStack gap="200" inlineAlign="center">
                  <Text as="p" variant="headingSm">
                    {d.tab === "reorder" ? "Nothing to reorder now" : "No items"}
                  </Text>
                  <Text as="p" tone="subdued">
                    {d.tab === "reorder"
                      ? "Every item has more stock than its reorder point (demand over the lead time plus safety stock)."
                      : "Forecasts appear once the hourly forecast has run."}
                  </Text>
                </BlockStack>
              </Box>
            }
          >
            {d.rows.map((r, i) => (
              <IndexTable.Row id={r.itemId} key={r.itemId} position={i}>
                <IndexTable.Cell>
                  <BlockStack gap="050">
                    <Text as="span" fontWeight="semibold">
                      {r.sku}
                    </Text>
                    <Text as="span" variant="bodySm" tone="subdued">
                      {r.title}
                    </Text>
                  </BlockStack>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <Text as="span" alignment="end" numeric>
                    {r.available ?? "—"}
                  </Text>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <Text as="span" alignment="end" numeric>
                    {fmt(r.demandPerDay)}
                    {r.method === "trend" ? " ↗" : ""}
                  </Text>
                  {r.lowHistory && (
                    <Text as="span" variant="bodySm" tone="subdued">
                      short history
                    </Text>
                  )}
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <Text as="span" alignment="end" numeric>
                    {r.daysOfCover == null ? (r.demandPerDay === 0 ? "no sales" : "—") : fmt(r.daysOfCover)}
                  </Text>
                </IndexTable.Cell>
                <IndexTable.Cell>{r.stockoutDate ?? "—"}</IndexTable.Cell>
                <IndexTable.Cell>
                  <Text as="span" alignment="end" numeric>
                    {r.reorderPoint}
                  </Text>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <InlineStack align="end" gap="100">
                    {r.reorderNow ? (
                      <Badge tone="attention">{`Order ${r.suggestedQty}`}</Badge>
                    ) : (
                      <Text as="span">0</Text>
                    )}
                  </InlineStack>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  {r.anomaly ? (
                    <Badge tone={r.anomaly === "spike" ? "info" : "warning"}>
                      {r.anomaly === "spike" ? "Sales spike" : "Sales drop"}
                    </Badge>
                  ) : (
                    ""
                  )}
                </IndexTable.Cell>
              </IndexTable.Row>
            ))}
          </IndexTable>
          {pages > 1 && (
            <Box padding="300" borderBlockStartWidth="025" borderColor="border">
              <InlineStack align="center">
                <Pagination
                  hasPrevious={d.page > 1}
                  hasNext={d.page < pages}
                  onPrevious={() => go({ page: String(d.page - 1) })}
                  onNext={() => go({ page: String(d.page + 1) })}
                  label={`Page ${d.page} of ${pages} · ${d.total} items`}
                />
              </InlineStack>
            </Box>
          )}
        </Card>
      </BlockStack>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Reorder" error={useRouteError()} />;
}
