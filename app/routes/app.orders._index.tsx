/**
 * Orders: one list of orders from every store (Shopify and WooCommerce), newest first. Filters: store,
 * status, date range; search by order number, customer or SKU; the filter's order count and revenue.
 * Orders hub (issue 15 item 5): each order's journey (received → imported, with the Shopify order's link → fulfilled
 * → tracking at the store, or failed / needs attention), the journey filters as tabs ("Not imported", "Shipped, not
 * pushed back", "Needs attention"; server-side, app/models/order-journey.server.ts) and bulk retry of the selected
 * orders' imports or pushbacks (app/sync/orders-hub/retry.server.ts).
 */
import { useEffect, useRef, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import {
  Form,
  Link,
  useFetcher,
  useLoaderData,
  useNavigation,
  useRouteError,
  useSearchParams,
  useSubmit,
} from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Card,
  IndexTable,
  InlineStack,
  Page,
  Pagination,
  Select,
  Tabs,
  Text,
  TextField,
  useIndexResourceState,
} from "@shopify/polaris";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { downloadFile } from "../components/download";
import { requireShop } from "../models/shop.server";
import { listOrders, parseOrderParams } from "../models/orders.server";
import { billingUsage } from "../billing/billing.server";
import { Time } from "../components/Time";
import { formatCount, formatMoney } from "../components/format";
import { ORDERS_PAGE_SIZE } from "../lib/page-constants";
import { PageError } from "../components/PageStates";
import { JourneyCell } from "../components/OrderJourney";
import { JOURNEY_FILTERS, JOURNEY_FILTER_LABEL } from "../lib/order-journey";
import { retryOrderImports, retryOrderPushbacks, type RetryOutcome } from "../sync/orders-hub/retry.server";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Orders" }];

/** A page of the session shop's orders with count and revenue of the filter. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const f = parseOrderParams(new URL(request.url));
  const [data, usage] = await Promise.all([listOrders(shop.id, f), billingUsage(shop.id)]);
  const planNotice =
    usage.ordersNotImported > 0 || usage.channels.some((c) => c.pausedAt)
      ? {
          notImported: usage.ordersNotImported,
          planLabel: usage.plan.label,
          maxOrders: usage.plan.maxOrdersPerPeriod,
          paused: usage.channels.filter((c) => c.pausedAt).map((c) => c.name),
        }
      : null;
  return json({
    ...data,
    planNotice,
    filter: {
      store: f.store ?? "",
      status: f.status ?? "",
      from: f.from ?? "",
      to: f.to ?? "",
      q: f.q ?? "",
      journey: f.journey ?? "",
    },
  });
};

type RetryData = { ok: true; intent: string; outcome: RetryOutcome } | { ok: false; error: string };

/**
 * Bulk retry: `intent=retry-import | retry-pushback`, `ids` = comma-separated order ids (the session shop's; others
 * are ignored). Returns what was re-queued and why the others were not.
 */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  const ids = String(form.get("ids") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!ids.length) return json<RetryData>({ ok: false, error: "Select at least one order." }, { status: 400 });
  try {
    if (intent === "retry-import")
      return json<RetryData>({ ok: true, intent, outcome: await retryOrderImports(shop.id, ids) });
    if (intent === "retry-pushback")
      return json<RetryData>({ ok: true, intent, outcome: await retryOrderPushbacks(shop.id, ids) });
  } catch (err) {
    console.error("orders retry failed", err);
    return json<RetryData>(
      { ok: false, error: "The job queue is unreachable. Try again in a minute." },
      { status: 503 },
    );
  }
  return json<RetryData>({ ok: false, error: "Unknown action." }, { status: 400 });
};

/** Toast text of a retry's outcome: how many were re-queued, and the first reason another was not. */
function retryMessage(d: RetryData): string {
  if (!d.ok) return d.error;
  const n = d.outcome.requeued;
  const head =
    d.intent === "retry-import"
      ? `${n} ${n === 1 ? "import" : "imports"} queued again`
      : `${n} ${n === 1 ? "fulfilment" : "fulfilments"} queued to push again`;
  const skipped = d.outcome.skipped;
  if (!skipped.length) return head;
  const first = skipped[0]!;
  const number = first.number.startsWith("#") ? first.number : `#${first.number}`;
  return `${head}. ${skipped.length} not retried — ${number}: ${first.reason}`;
}

const AUTH_PARAMS = ["embedded", "shop", "host", "id_token", "hmac", "session", "timestamp", "locale"];

/** Status badge tone of an order status. */
function statusTone(s: string): "success" | "critical" | "warning" | "info" | undefined {
  if (["completed", "paid", "fulfilled"].includes(s)) return "success";
  if (["cancelled", "refunded", "failed"].includes(s)) return "critical";
  if (["on-hold", "pending"].includes(s)) return "warning";
  return "info";
}

export default function Orders() {
  const { rows, total, revenue, currency, page, pageCount, stores, statuses, filter, planNotice, journeyCounts } =
    useLoaderData<typeof loader>();
  const retry = useFetcher<typeof action>();
  const { selectedResources, allResourcesSelected, handleSelectionChange, clearSelection } =
    useIndexResourceState(rows);
  const retryData = retry.data as RetryData | undefined;
  useEffect(() => {
    if (retry.state !== "idle" || !retryData) return;
    shopify.toast.show(retryMessage(retryData), { isError: !retryData.ok });
    if (retryData.ok) clearSelection();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [retry.state, retryData]);
  const submitRetry = (intent: string) =>
    retry.submit(
      { intent, ids: (allResourcesSelected ? rows.map((r) => r.id) : selectedResources).join(",") },
      { method: "post", action: "/app/orders?index" },
    );
  const tabs = [
    { id: "journey-all", content: "All", value: "" },
    ...JOURNEY_FILTERS.map((j) => ({
      id: `journey-${j}`,
      content: `${JOURNEY_FILTER_LABEL[j]} (${formatCount(journeyCounts[j])})`,
      accessibilityLabel: `${JOURNEY_FILTER_LABEL[j]}: ${formatCount(journeyCounts[j])} orders`,
      value: j as string,
    })),
  ];
  const submit = useSubmit();
  const navigation = useNavigation();
  const shopify = useAppBridge();
  const [searchParams] = useSearchParams();
  const [q, setQ] = useState(filter.q);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => setQ(filter.q), [filter.q]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const loading = navigation.state === "loading" && navigation.location.pathname === "/app/orders";

  const params = () => {
    const p = new URLSearchParams(typeof window === "undefined" ? searchParams : window.location.search);
    for (const k of AUTH_PARAMS) p.delete(k);
    return p;
  };
  const setParam = (key: string, value: string) => {
    const p = params();
    if (value) p.set(key, value);
    else p.delete(key);
    p.delete("page");
    submit(p, { method: "get", action: "/app/orders", replace: true });
  };
  const pageUrl = (n: number) => {
    const p = params();
    if (n > 1) p.set("page", String(n));
    else p.delete("page");
    return `/app/orders?${p.toString()}`;
  };
  const from = total === 0 ? 0 : (page - 1) * ORDERS_PAGE_SIZE + 1;
  const to = Math.min(page * ORDERS_PAGE_SIZE, total);

  return (
    <Page
      title="Orders"
      subtitle="Orders from every store, and what they did to stock"
      fullWidth
      secondaryActions={[
        {
          content: "Export CSV",
          onAction: () =>
            void downloadFile(`/app/exports/orders.csv?${params().toString()}`, "orders.csv").then(
              (n) => shopify.toast.show(`Downloaded ${n}`),
              (e: Error) => shopify.toast.show(e.message, { isError: true }),
            ),
        },
      ]}
    >
      <TitleBar title="Orders" />
      {planNotice && (
        <Box paddingBlockEnd="400">
          <Banner
            tone="warning"
            title={
              planNotice.notImported > 0
                ? `${formatCount(planNotice.notImported)} orders this billing period were not imported`
                : "Some sales channels are paused"
            }
            action={{ content: "See plans", url: "/app/plan" }}
          >
            <BlockStack gap="100">
              {planNotice.notImported > 0 && (
                <Text as="p">{`The ${planNotice.planLabel} plan imports ${formatCount(planNotice.maxOrders ?? 0)} orders a billing period into this list. SyncFlow still synced their stock, so nothing oversold.`}</Text>
              )}
              {planNotice.paused.length > 0 && (
                <Text as="p">{`Orders from ${planNotice.paused.join(", ")} are not imported while paused by your plan; their stock keeps syncing.`}</Text>
              )}
            </BlockStack>
          </Banner>
        </Box>
      )}
      <Card padding="0">
        <Tabs
          tabs={tabs}
          selected={Math.max(
            0,
            tabs.findIndex((t) => t.value === filter.journey),
          )}
          onSelect={(i) => setParam("journey", tabs[i]?.value ?? "")}
        />
        <Box padding="300">
          <BlockStack gap="300">
            <Form
              method="get"
              ref={formRef}
              role="search"
              aria-label="Search orders"
              onSubmit={() => clearTimeout(timer.current)}
            >
              {(["store", "status", "from", "to", "journey"] as const).map((k) =>
                filter[k] ? <input key={k} type="hidden" name={k} value={filter[k]} /> : null,
              )}
              <TextField
                label="Search by order number, customer or SKU"
                labelHidden
                name="q"
                type="search"
                value={q}
                placeholder="Search by order number, customer or SKU"
                autoComplete="off"
                clearButton
                onClearButtonClick={() => setParam("q", "")}
                onChange={(v) => {
                  setQ(v);
                  clearTimeout(timer.current);
                  timer.current = setTimeout(() => formRef.current && submit(formRef.current, { replace: true }), 350);
                }}
              />
            </Form>
            <InlineStack gap="300" blockAlign="end" wrap>
              <Box minWidth="180px">
                <Select
                  label="Store"
                  value={filter.store}
                  onChange={(v) => setParam("store", v)}
                  options={[{ label: "All stores", value: "" }, ...stores.map((s) => ({ label: s.name, value: s.id }))]}
                />
              </Box>
              <Box minWidth="160px">
                <Select
                  label="Status"
                  value={filter.status}
                  onChange={(v) => setParam("status", v)}
                  options={[{ label: "Any status", value: "" }, ...statuses.map((s) => ({ label: s, value: s }))]}
                />
              </Box>
              <Box maxWidth="170px">
                <TextField
                  label="From"
                  type="date"
                  value={filter.from}
                  onChange={(v) => setParam("from", v)}
                  autoComplete="off"
                />
              </Box>
              <Box maxWidth="170px">
                <TextField
                  label="To"
                  type="date"
                  value={filter.to}
                  onChange={(v) => setParam("to", v)}
                  autoComplete="off"
                />
              </Box>
              <BlockStack gap="050">
                <Text as="span" tone="subdued" variant="bodySm">
                  Orders · revenue
                </Text>
                <Text as="p" variant="headingMd" id="orders-totals">
                  {formatCount(total)} orders · {formatMoney(revenue, currency)}
                </Text>
              </BlockStack>
            </InlineStack>
          </BlockStack>
        </Box>
        <IndexTable
          resourceName={{ singular: "order", plural: "orders" }}
          itemCount={rows.length}
          selectedItemsCount={allResourcesSelected ? "All" : selectedResources.length}
          onSelectionChange={handleSelectionChange}
          promotedBulkActions={[
            { content: "Retry import", onAction: () => submitRetry("retry-import") },
            { content: "Retry pushback", onAction: () => submitRetry("retry-pushback") },
          ]}
          loading={loading || retry.state !== "idle"}
          headings={[
            { title: "Order" },
            { title: "Store" },
            { title: "Placed" },
            { title: "Customer" },
            { title: "Status" },
            { title: "Journey" },
            { title: "Units", alignment: "end" },
            { title: "Total", alignment: "end" },
          ]}
          emptyState={
            <Box padding="600">
              <BlockStack gap="200" inlineAlign="center">
                <Text as="p" variant="headingSm">
                  {filter.q || filter.store || filter.status || filter.from || filter.to || filter.journey
                    ? "No orders match these filters"
                    : "No orders yet"}
                </Text>
                <Text as="p" tone="subdued">
                  {filter.q || filter.store || filter.status || filter.from || filter.to || filter.journey
                    ? "Clear a filter or widen the date range."
                    : "Orders appear here as soon as a connected store takes one."}
                </Text>
              </BlockStack>
            </Box>
          }
        >
          {rows.map((o, i) => (
            <IndexTable.Row
              id={o.id}
              key={o.id}
              position={i}
              selected={selectedResources.includes(o.id)}
              disabled={o.journey.stage === "central"}
            >
              <IndexTable.Cell>
                <Link to={`/app/orders/${o.id}`}>
                  <Text as="span" fontWeight="semibold">
                    {o.number.startsWith("#") ? o.number : `#${o.number}`}
                  </Text>
                </Link>
              </IndexTable.Cell>
              <IndexTable.Cell>{o.store}</IndexTable.Cell>
              <IndexTable.Cell>
                <Time value={o.placedAt} />
              </IndexTable.Cell>
              <IndexTable.Cell>{o.customer ?? "—"}</IndexTable.Cell>
              <IndexTable.Cell>
                <Badge tone={statusTone(o.status)}>{o.status}</Badge>
              </IndexTable.Cell>
              <IndexTable.Cell>
                <JourneyCell journey={o.journey} />
              </IndexTable.Cell>
              <IndexTable.Cell>
                <Text as="span" alignment="end" numeric>
                  {formatCount(o.units)}
                </Text>
              </IndexTable.Cell>
              <IndexTable.Cell>
                <Text as="span" alignment="end" numeric>
                  {formatMoney(o.total, o.currency)}
                </Text>
              </IndexTable.Cell>
            </IndexTable.Row>
          ))}
        </IndexTable>
        <Box padding="300" borderBlockStartWidth="025" borderColor="border">
          <InlineStack align="space-between" blockAlign="center">
            <Text as="p" tone="subdued">
              {total === 0 ? "0 orders" : `${formatCount(from)}–${formatCount(to)} of ${formatCount(total)} orders`}
            </Text>
            <Pagination
              hasPrevious={page > 1}
              previousURL={page > 1 ? pageUrl(page - 1) : undefined}
              hasNext={page < pageCount}
              nextURL={page < pageCount ? pageUrl(page + 1) : undefined}
              accessibilityLabels={{ previous: "Previous page", next: "Next page" }}
            />
          </InlineStack>
        </Box>
      </Card>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Orders" error={useRouteError()} />;
}
