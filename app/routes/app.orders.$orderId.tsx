/** Order detail: the order's lines and what it did to stock (ledger rows and Shopify adjustments). */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData, useRouteError } from "@remix-run/react";
import { Badge, BlockStack, Box, Card, DataTable, InlineGrid, Layout, Page, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { getOrderDetail } from "../models/orders.server";
import { Time } from "../components/Time";
import { formatDelta, formatMoney } from "../components/format";
import { CAUSE_LABEL } from "../lib/page-constants";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Order" }];

/** One order of the session shop (404 otherwise). */
export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const d = await getOrderDetail(shop.id, params.orderId ?? "");
  if (!d)
    throw json(
      { message: "This order does not exist for your shop. Go back to Orders and search for it." },
      { status: 404 },
    );
  return json(d);
};

export default function OrderDetail() {
  const { order: o, lines, ledger, adjustments } = useLoaderData<typeof loader>();
  const number = o.number.startsWith("#") ? o.number : `#${o.number}`;
  return (
    <Page
      backAction={{ content: "Orders", url: "/app/orders" }}
      title={`Order ${number}`}
      subtitle={`${o.store} · ${o.customer ?? o.email ?? "no customer"}`}
      titleMetadata={<Badge>{o.status}</Badge>}
    >
      <TitleBar title={`Order ${number}`} />
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            <Card padding="0">
              <Box padding="400">
                <Text as="h2" variant="headingMd">
                  Lines
                </Text>
              </Box>
              <DataTable
                columnContentTypes={["text", "text", "numeric", "numeric", "numeric"]}
                headings={["SKU", "Title", "Quantity", "Restocked", "Price"]}
                rows={lines.map((l) => [
                  l.itemId ? (
                    <Link key={l.id} to={`/app/items/${l.itemId}`}>
                      {l.sku ?? "—"}
                    </Link>
                  ) : (
                    (l.sku ?? "—")
                  ),
                  l.title,
                  l.quantity,
                  l.restocked,
                  formatMoney(l.price, o.currency),
                ])}
                totals={[
                  "",
                  "",
                  lines.reduce((s, l) => s + l.quantity, 0),
                  lines.reduce((s, l) => s + l.restocked, 0),
                  formatMoney(o.total, o.currency),
                ]}
                showTotalsInFooter
              />
            </Card>
            <Card padding="0">
              <Box padding="400">
                <BlockStack gap="100">
                  <Text as="h2" variant="headingMd">
                    What this order did to stock
                  </Text>
                  <Text as="p" tone="subdued">
                    {o.stockTaken
                      ? "Its units are counted against stock."
                      : "Its units are not counted against stock (cancelled, refunded or not taken yet)."}
                  </Text>
                </BlockStack>
              </Box>
              {ledger.length === 0 ? (
                <Box padding="400">
                  <Text as="p" tone="subdued">
                    No stock change recorded for this order.
                  </Text>
                </Box>
              ) : (
                <DataTable
                  columnContentTypes={["text", "text", "text", "numeric", "text", "text"]}
                  headings={["When", "SKU", "Cause", "Change", "Before → after", "Where / by"]}
                  rows={ledger.map((r) => [
                    <Time key={r.id} value={r.createdAt} />,
                    <Link key={`${r.id}-sku`} to={`/app/items/${r.itemId}`}>
                      {r.sku}
                    </Link>,
                    CAUSE_LABEL[r.cause] ?? r.cause,
                    formatDelta(r.delta),
                    `${r.before ?? "—"} → ${r.after ?? "—"}`,
                    `${r.store ?? "Shopify"} · ${r.actor}`,
                  ])}
                />
              )}
            </Card>
            {adjustments.length > 0 && (
              <Card padding="0">
                <Box padding="400">
                  <Text as="h2" variant="headingMd">
                    Shopify adjustments
                  </Text>
                </Box>
                <DataTable
                  columnContentTypes={["text", "numeric", "text", "text", "text"]}
                  headings={["SKU", "Delta", "Status", "Reason", "Applied"]}
                  rows={adjustments.map((a) => [
                    a.sku,
                    formatDelta(a.delta),
                    a.lastError ? `${a.status} — ${a.lastError}` : a.status,
                    a.reason,
                    <Time key={a.id} value={a.appliedAt} never="Not yet" />,
                  ])}
                />
              </Card>
            )}
          </BlockStack>
        </Layout.Section>
        <Layout.Section variant="oneThird">
          <Card>
            <InlineGrid columns={1} gap="300">
              <Field label="Store" value={o.store} />
              <Field label="Placed" value={<Time value={o.placedAt} />} />
              {o.cancelledAt && <Field label="Cancelled" value={<Time value={o.cancelledAt} />} />}
              <Field label="Total" value={formatMoney(o.total, o.currency)} />
              <Field label="Customer" value={o.customer ?? "—"} />
              {o.email && <Field label="Email" value={o.email} />}
              <Field label="Store order id" value={o.externalId} />
            </InlineGrid>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

function Field({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <BlockStack gap="050">
      <Text as="span" variant="bodySm" tone="subdued">
        {label}
      </Text>
      <Text as="span">{value}</Text>
    </BlockStack>
  );
}

export function ErrorBoundary() {
  return <PageError title="Order" error={useRouteError()} />;
}
