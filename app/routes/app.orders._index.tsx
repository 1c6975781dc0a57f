/**
 * Orders: one list of orders from every store (Shopify and WooCommerce), newest first. Filters: store,
 * status, date range; search by order number, customer or SKU; the filter's order count and revenue.
 */
import { useEffect, useRef, useState } from "react";
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigation, useRouteError, useSearchParams, useSubmit } from "@remix-run/react";
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
  Text,
  TextField,
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
    filter: { store: f.store ?? "", status: f.status ?? "", from: f.from ?? "", to: f.to ?? "", q: f.q ?? "" },
  });
};

const AUTH_PARAMS = ["embedded", "shop", "host", "id_token", "hmac", "session", "timestamp", "locale"];

/** Status badge tone of an order status. */
function statusTone(s: string): "success" | "critical" | "warning" | "info" | undefined {
  if (["completed", "paid", "fulfilled"].includes(s)) return "success";
  if (["cancelled", "refunded", "failed"].includes(s)) return "critical";
  if (["on-hold", "pending"].includes(s)) return "warning";
  return "info";
}

export default function Orders() {
  const { rows, total, revenue, currency, page, pageCount, stores, statuses, filter, planNotice } =
    useLoaderData<typeof loader>();
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
        <Box padding="300">
          <BlockStack gap="300">
            <Form
              method="get"
              ref={formRef}
              role="search"
              aria-label="Search orders"
              onSubmit={() => clearTimeout(timer.current)}
            >
              {(["store", "status", "from", "to"] as const).map((k) =>
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
          selectable={false}
          loading={loading}
          headings={[
            { title: "Order" },
            { title: "Store" },
            { title: "Placed" },
            { title: "Customer" },
            { title: "Status" },
            { title: "Units", alignment: "end" },
            { title: "Total", alignment: "end" },
          ]}
          emptyState={
            <Box padding="600">
              <BlockStack gap="200" inlineAlign="center">
                <Text as="p" variant="headingSm">
                  {filter.q || filter.store || filter.status || filter.from || filter.to
                    ? "No orders match these filters"
                    : "No orders yet"}
                </Text>
                <Text as="p" tone="subdued">
                  {filter.q || filter.store || filter.status || filter.from || filter.to
                    ? "Clear a filter or widen the date range."
                    : "Orders appear here as soon as a connected store takes one."}
                </Text>
              </BlockStack>
            </Box>
          }
        >
          {rows.map((o, i) => (
            <IndexTable.Row id={o.id} key={o.id} position={i}>
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
