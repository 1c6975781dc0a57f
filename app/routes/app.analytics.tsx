/**
 * Analytics (issue 18 item 1; Pro and Enterprise plans — `features.analytics`, lower plans see an upgrade prompt):
 * over a chosen period against the one before it — sales by channel and currency (orders, units, revenue, average
 * order value, refunds), the revenue trend, per-SKU sell-through / turnover / stockout days, inventory value at cost
 * and how it moved, stock movements by cause, price differences for one SKU between channels, and integration health
 * per channel. Figures come from the rollups (app/analytics; definitions in decision 288). Money is per currency,
 * never summed across currencies. Every chart has a table view and every table a CSV export.
 */
import { Suspense } from "react";
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { defer } from "@remix-run/node";
import { Await, Form, useLoaderData, useRouteError, useSearchParams } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  DataTable,
  InlineGrid,
  InlineStack,
  Layout,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { downloadFile } from "../components/download";
import { useState } from "react";
import { requireShop } from "../models/shop.server";
import { hasFeature } from "../billing/billing.server";
import { readApiPoints } from "../models/dashboard.server";
import { shopTimeZone } from "../analytics/rollups.server";
import {
  channelComparison,
  integrationHealth,
  inventoryValue,
  movementsByCause,
  priceDifferences,
  revenueTrend,
  skuStats,
} from "../analytics/report.server";
import { HEALTH_HOURS, parsePeriod, type Period } from "../analytics/period";
import prisma from "../db.server";
import { PageError } from "../components/PageStates";
import { ChartWithTable } from "../components/AnalyticsCharts";
import {
  formatCount,
  formatDateTime,
  formatDay,
  formatDuration,
  formatMoney,
  formatPercent,
} from "../components/format";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Analytics" }];

/** Period from the query string (400 when invalid); every section's figures, or `locked` for plans without analytics. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  if (!(await hasFeature(shop.id, "analytics"))) return defer({ locked: true as const });
  const tz = await shopTimeZone(shop.id);
  const period = parsePeriod(new URL(request.url).searchParams, tz);
  const [channels, trend, skus, value, movements, prices, health, state] = await Promise.all([
    channelComparison(shop.id, period),
    revenueTrend(shop.id, period),
    skuStats(shop.id, period, 50),
    inventoryValue(shop.id, period),
    movementsByCause(shop.id, period),
    priceDifferences(shop.id, period, 50),
    integrationHealth(shop.id, { liveBudget: false }),
    prisma.analyticsRollupState.findUnique({ where: { shopId: shop.id }, select: { lastRefreshAt: true } }),
  ]);
  return defer(
    {
      locked: false as const,
      tz,
      period,
      channels,
      trend,
      skus,
      value,
      movements,
      prices,
      health,
      refreshedAt: state?.lastRefreshAt?.toISOString() ?? null,
      // The record's live API budget (≤ 1.5 s) streams in after the page: it never delays the first paint.
      apiPoints: readApiPoints(shop.id),
    },
    { headers: { "Cache-Control": "no-store" } },
  );
};

type Data = Exclude<ReturnType<typeof useLoaderData<typeof loader>>, { locked: true }>;

const exportUrl = (table: string, p: Period) => `/app/analytics-export/${table}.csv?from=${p.from}&to=${p.to}`;

/** Downloads the table's CSV through the app's authenticated fetch (as the Activity page's export). */
function CsvLink({ table, period, label }: { table: string; period: Period; label: string }) {
  const shopify = useAppBridge();
  return (
    <Button
      variant="plain"
      accessibilityLabel={`Export CSV: ${label}`}
      onClick={() =>
        void downloadFile(exportUrl(table, period), `${table}.csv`).then(
          (n) => shopify.toast.show(`Downloaded ${n}`),
          (e: Error) => shopify.toast.show(e.message, { isError: true }),
        )
      }
    >
      Export CSV
    </Button>
  );
}

function Section({
  title,
  description,
  table,
  period,
  children,
}: {
  title: string;
  description?: string;
  table: string;
  period: Period;
  children: React.ReactNode;
}) {
  return (
    <Card>
      <BlockStack gap="300">
        <InlineStack align="space-between" blockAlign="center">
          <Text as="h2" variant="headingMd">
            {title}
          </Text>
          <CsvLink table={table} period={period} label={title} />
        </InlineStack>
        {description && (
          <Text as="p" tone="subdued" variant="bodySm">
            {description}
          </Text>
        )}
        {children}
      </BlockStack>
    </Card>
  );
}

/** "+12.5%" / "−3.0%" / "new" against the previous figure. */
function change(cur: number, prev: number | null | undefined): string {
  if (prev == null || prev === 0) return cur === 0 ? "—" : "new";
  const r = (cur - prev) / prev;
  return `${r >= 0 ? "+" : "−"}${formatPercent(Math.abs(r))}`;
}

function PeriodPicker({ period }: { period: Period }) {
  const [params] = useSearchParams();
  const preset = params.get("from") ? "custom" : (params.get("days") ?? "30");
  const [mode, setMode] = useState(preset);
  const [from, setFrom] = useState(period.from);
  const [to, setTo] = useState(period.to);
  return (
    <Form method="get">
      <InlineStack gap="300" blockAlign="end" wrap>
        <Select
          label="Period"
          name={mode === "custom" ? undefined : "days"}
          options={[
            { label: "Last 7 days", value: "7" },
            { label: "Last 30 days", value: "30" },
            { label: "Last 90 days", value: "90" },
            { label: "Custom dates", value: "custom" },
          ]}
          value={mode}
          onChange={setMode}
        />
        {mode === "custom" && (
          <>
            <TextField label="From" type="date" name="from" value={from} onChange={setFrom} autoComplete="off" />
            <TextField label="To" type="date" name="to" value={to} onChange={setTo} autoComplete="off" />
          </>
        )}
        <Button submit>Apply</Button>
      </InlineStack>
    </Form>
  );
}

export default function Analytics() {
  const d = useLoaderData<typeof loader>();
  if (d.locked) return <Locked />;
  const data = d as unknown as Data;
  const p = data.period;
  const vs = `${formatDay(p.prevFrom)} – ${formatDay(p.prevTo)}`;
  return (
    <Page
      title="Analytics"
      subtitle={`${formatDay(p.from)} – ${formatDay(p.to)} ${p.to.slice(0, 4)} (${p.days} days, ${data.tz}) compared with ${vs}`}
    >
      <TitleBar title="Analytics" />
      <BlockStack gap="500">
        <Card>
          <BlockStack gap="200">
            <PeriodPicker period={p} />
            <Text as="p" tone="subdued" variant="bodySm">
              Figures updated {formatDateTime(data.refreshedAt, "not yet — the first figures appear within 5 minutes")}.
              Money is shown per currency and never added across currencies.
            </Text>
          </BlockStack>
        </Card>
        <ChannelsSection data={data} />
        <TrendSection data={data} />
        <SkusSection data={data} />
        <ValueSection data={data} />
        <MovementsSection data={data} />
        <PricesSection data={data} />
        <HealthSection data={data} />
        <Formulas />
      </BlockStack>
    </Page>
  );
}

function ChannelsSection({ data }: { data: Data }) {
  const p = data.period;
  const rows = data.channels;
  const currencies = [...new Set(rows.map((r) => r.currency))];
  const table = (
    <DataTable
      columnContentTypes={["text", "text", "numeric", "numeric", "numeric", "numeric", "numeric", "numeric"]}
      headings={["Channel", "Currency", "Orders", "vs previous", "Units", "Revenue", "Average order value", "Refunds"]}
      rows={rows.map((r) => [
        r.channelName,
        r.currency,
        formatCount(r.current?.orders ?? 0),
        change(r.current?.orders ?? 0, r.previous?.orders),
        formatCount(r.current?.units ?? 0),
        `${formatMoney(r.current?.revenue ?? 0, r.currency)} (${change(Number(r.current?.revenue ?? 0), r.previous ? Number(r.previous.revenue) : null)})`,
        formatMoney(r.current?.averageOrderValue ?? 0, r.currency),
        `${formatMoney(r.current?.refunds ?? 0, r.currency)} · ${r.current?.refundedOrders ?? 0} order(s)`,
      ])}
    />
  );
  return (
    <Section
      title="Sales by channel"
      description="Orders placed in the period that are sales (cancelled and unpaid orders are not); an imported order counts once, on the channel that sold it."
      table="channels"
      period={p}
    >
      {rows.length === 0 ? (
        <Text as="p" tone="subdued">
          No orders in this period or the one before.
        </Text>
      ) : (
        <BlockStack gap="400">
          {currencies.map((cur) => {
            const rs = rows.filter((r) => r.currency === cur);
            return (
              <ChartWithTable
                key={cur}
                id={`channels-${cur}`}
                title={`Revenue by channel (${cur})`}
                summary={rs
                  .map(
                    (r) =>
                      `${r.channelName}: ${formatMoney(r.current?.revenue ?? 0, cur)} this period, ${formatMoney(r.previous?.revenue ?? 0, cur)} the period before`,
                  )
                  .join("; ")}
                chart={{
                  kind: "bar",
                  format: "money",
                  currency: cur,
                  series: [
                    {
                      name: "This period",
                      data: rs.map((r) => ({ key: r.channelName, value: Number(r.current?.revenue ?? 0) })),
                    },
                    {
                      name: "Previous period",
                      data: rs.map((r) => ({ key: r.channelName, value: Number(r.previous?.revenue ?? 0) })),
                    },
                  ],
                }}
                table={
                  <DataTable
                    columnContentTypes={["text", "numeric", "numeric"]}
                    headings={["Channel", "This period", "Previous period"]}
                    rows={rs.map((r) => [
                      r.channelName,
                      formatMoney(r.current?.revenue ?? 0, cur),
                      formatMoney(r.previous?.revenue ?? 0, cur),
                    ])}
                  />
                }
              />
            );
          })}
          {table}
        </BlockStack>
      )}
    </Section>
  );
}

function TrendSection({ data }: { data: Data }) {
  return (
    <Section
      title="Revenue trend"
      description="Revenue per day, one line per currency."
      table="revenue"
      period={data.period}
    >
      {data.trend.length === 0 ? (
        <Text as="p" tone="subdued">
          No revenue in this period.
        </Text>
      ) : (
        data.trend.map((t) => (
          <ChartWithTable
            key={t.currency}
            id={`trend-${t.currency}`}
            title={`Daily revenue (${t.currency})`}
            summary={`Total ${formatMoney(
              t.points.reduce((s, x) => s + Number(x.revenue), 0),
              t.currency,
            )} over ${t.points.length} days; highest day ${formatMoney(Math.max(...t.points.map((x) => Number(x.revenue))), t.currency)}`}
            chart={{
              kind: "line",
              format: "money",
              currency: t.currency,
              series: [
                { name: t.currency, data: t.points.map((x) => ({ key: formatDay(x.day), value: Number(x.revenue) })) },
              ],
            }}
            table={
              <DataTable
                columnContentTypes={["text", "numeric", "numeric"]}
                headings={["Day", "Revenue", "Orders"]}
                rows={t.points.map((x) => [
                  formatDay(x.day),
                  formatMoney(x.revenue, t.currency),
                  formatCount(x.orders),
                ])}
              />
            }
          />
        ))
      )}
    </Section>
  );
}

function SkusSection({ data }: { data: Data }) {
  return (
    <Section
      title="Sell-through and turnover by SKU"
      description="Top 50 SKUs by units sold (the CSV has every SKU). Sell-through = units sold ÷ (units sold + available at the end); turnover = units sold ÷ average available; stockout days = days the item was out of stock at some moment."
      table="skus"
      period={data.period}
    >
      {data.skus.length === 0 ? (
        <Text as="p" tone="subdued">
          No SKU activity yet.
        </Text>
      ) : (
        <DataTable
          columnContentTypes={["text", "text", "numeric", "numeric", "numeric", "numeric", "numeric"]}
          headings={["SKU", "Title", "Units sold", "Available now", "Sell-through", "Turnover", "Stockout days"]}
          rows={data.skus.map((s) => [
            s.sku,
            s.title,
            formatCount(s.unitsSold),
            s.endAvailable == null ? "—" : formatCount(s.endAvailable),
            s.sellThrough == null ? "—" : formatPercent(s.sellThrough),
            s.turnover == null ? "—" : `${s.turnover}×`,
            s.stockoutDays > 0 ? <Badge tone="warning">{`${s.stockoutDays} d`}</Badge> : "0",
          ])}
        />
      )}
    </Section>
  );
}

function ValueSection({ data }: { data: Data }) {
  const { series, moves } = data.value;
  const currencies = [...new Set(series.map((s) => s.currency))].filter((c) => c !== "—");
  const noCost = series.filter((s) => s.currency === "—").at(-1);
  return (
    <Section
      title="Inventory value at cost"
      description="Shopify keeps only the current cost per item, so SyncFlow snapshots it daily from the day it was installed: value = available units × cost per item."
      table="inventory-value"
      period={data.period}
    >
      {series.length === 0 ? (
        <Text as="p" tone="subdued">
          No snapshot in this period yet (the first is taken within 5 minutes of install, then daily).
        </Text>
      ) : (
        <BlockStack gap="300">
          <InlineGrid columns={{ xs: 1, md: Math.max(1, Math.min(3, moves.length)) }} gap="300">
            {moves
              .filter((m) => m.currency !== "—")
              .map((m) => (
                <Box key={m.currency} padding="300" background="bg-surface-secondary" borderRadius="200">
                  <Text as="p" variant="headingLg">
                    {formatMoney(m.endValue, m.currency)}
                  </Text>
                  <Text as="p" tone="subdued" variant="bodySm">
                    {Number(m.change) >= 0 ? "Up" : "Down"} {formatMoney(Math.abs(Number(m.change)), m.currency)} since{" "}
                    {formatDay(m.startDay)}
                  </Text>
                </Box>
              ))}
          </InlineGrid>
          {noCost && noCost.items > 0 && (
            <Banner tone="info">
              {formatCount(noCost.items)} item(s) ({formatCount(noCost.units)} units) have no cost per item in Shopify
              and are not valued.
            </Banner>
          )}
          {currencies.map((cur) => {
            const pts = series.filter((s) => s.currency === cur);
            return (
              <ChartWithTable
                key={cur}
                id={`value-${cur}`}
                title={`Inventory value (${cur})`}
                summary={`From ${formatMoney(pts[0]!.value, cur)} on ${formatDay(pts[0]!.day)} to ${formatMoney(pts.at(-1)!.value, cur)} on ${formatDay(pts.at(-1)!.day)}`}
                chart={{
                  kind: "line",
                  format: "money",
                  currency: cur,
                  series: [{ name: cur, data: pts.map((x) => ({ key: formatDay(x.day), value: Number(x.value) })) }],
                }}
                table={
                  <DataTable
                    columnContentTypes={["text", "numeric", "numeric"]}
                    headings={["Day", "Value at cost", "Units"]}
                    rows={pts.map((x) => [formatDay(x.day), formatMoney(x.value, cur), formatCount(x.units)])}
                  />
                }
              />
            );
          })}
        </BlockStack>
      )}
    </Section>
  );
}

const CAUSES: Record<string, string> = {
  order: "Sales",
  cancel: "Cancellations",
  refund: "Refund restocks",
  webhook: "Shopify changes",
  push: "Writes to stores",
  reconcile: "Reconciliation",
  manual: "Manual",
  initial: "Initial",
  allocate: "Allocations",
  store: "Store edits",
};

function MovementsSection({ data }: { data: Data }) {
  const m = data.movements;
  return (
    <Section
      title="Stock movements by cause"
      description="Every stock change in the ledger, by why it happened."
      table="movements"
      period={data.period}
    >
      {m.length === 0 ? (
        <Text as="p" tone="subdued">
          No stock movements in this period.
        </Text>
      ) : (
        <ChartWithTable
          id="movements"
          title="Movements by cause"
          summary={m
            .map((x) => `${CAUSES[x.cause] ?? x.cause}: ${x.movements} this period, ${x.previousMovements} before`)
            .join("; ")}
          chart={{
            kind: "bar",
            format: "count",
            series: [
              { name: "This period", data: m.map((x) => ({ key: CAUSES[x.cause] ?? x.cause, value: x.movements })) },
              {
                name: "Previous period",
                data: m.map((x) => ({ key: CAUSES[x.cause] ?? x.cause, value: x.previousMovements })),
              },
            ],
          }}
          table={
            <DataTable
              columnContentTypes={["text", "numeric", "numeric", "numeric", "numeric"]}
              headings={["Cause", "Movements", "Units in", "Units out", "Previous period"]}
              rows={m.map((x) => [
                CAUSES[x.cause] ?? x.cause,
                formatCount(x.movements),
                formatCount(x.unitsIn),
                formatCount(x.unitsOut),
                formatCount(x.previousMovements),
              ])}
            />
          }
        />
      )}
    </Section>
  );
}

function PricesSection({ data }: { data: Data }) {
  return (
    <Section
      title="Price differences between channels"
      description="SKUs sold at different average prices on different channels in the same currency during the period."
      table="prices"
      period={data.period}
    >
      {data.prices.length === 0 ? (
        <Text as="p" tone="subdued">
          Every SKU sold at the same price on every channel.
        </Text>
      ) : (
        <DataTable
          columnContentTypes={["text", "text", "text", "numeric"]}
          headings={["SKU", "Currency", "Average price per channel", "Spread"]}
          rows={data.prices.map((x) => [
            x.sku,
            x.currency,
            x.channels.map((c) => `${c.channelName}: ${formatMoney(c.averagePrice, x.currency)}`).join(" · "),
            x.spread == null ? "—" : formatPercent(x.spread),
          ])}
        />
      )}
    </Section>
  );
}

function HealthSection({ data }: { data: Data }) {
  return (
    <Section
      title={`Integration health (last ${HEALTH_HOURS} hours)`}
      description="Success rate = stock writes ÷ (writes + jobs that used up their retries). Error rate = failed webhook deliveries ÷ deliveries. Latency = time from a delivery reaching SyncFlow to its change being applied."
      table="health"
      period={data.period}
    >
      <DataTable
        columnContentTypes={["text", "text", "numeric", "numeric", "numeric", "numeric", "text"]}
        headings={[
          "Channel",
          "Status",
          "Success rate",
          "Error rate",
          "Latency p50 / p95",
          "Webhooks (failed, stuck)",
          "API budget",
        ]}
        rows={data.health.map((h) => [
          `${h.channelName} · ${h.kindLabel}`,
          h.status,
          h.successRate == null ? "—" : formatPercent(h.successRate),
          h.errorRate == null ? "—" : formatPercent(h.errorRate),
          h.latencyP50Ms == null ? "—" : `${formatDuration(h.latencyP50Ms)} / ${formatDuration(h.latencyP95Ms)}`,
          `${formatCount(h.webhooks)} (${h.webhooksFailed}, ${h.webhooksStuck})`,
          h.kindLabel.startsWith("Shopify (record)") ? (
            <Suspense fallback="…">
              <Await resolve={data.apiPoints} errorElement="—">
                {(a) => (a ? `${formatCount(a.used)} / ${formatCount(a.maximum)} points (${a.plan})` : "—")}
              </Await>
            </Suspense>
          ) : (
            h.apiBudget
          ),
        ])}
      />
    </Section>
  );
}

function Formulas() {
  return (
    <Card>
      <BlockStack gap="200">
        <Text as="h2" variant="headingMd">
          How these figures are computed
        </Text>
        <Text as="p" variant="bodySm" tone="subdued">
          Units sold are net: sales minus cancellations and refunds that put units back, counted on the day the order
          was placed. Revenue is each order&apos;s total as the store reported it (tax and shipping included); refunds
          are the refunds SyncFlow saw (a fully refunded order&apos;s total, otherwise the refunded units at their
          price). Average order value = revenue ÷ orders. Days are in your notification time zone. An item is out of
          stock on a day when its Shopify available (all locations) was 0 or less at some moment that day.
        </Text>
      </BlockStack>
    </Card>
  );
}

function Locked() {
  return (
    <Page title="Analytics">
      <TitleBar title="Analytics" />
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                See what sells where
              </Text>
              <Text as="p">
                Analytics — sales by channel against the previous period, sell-through and stockouts per SKU, inventory
                value at cost, price differences between channels and the health of every connection — are part of the
                Pro and Enterprise plans.
              </Text>
              <InlineStack>
                <Button variant="primary" url="/app/plan">
                  Compare plans
                </Button>
              </InlineStack>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError error={useRouteError()} title="Analytics" />;
}
