/**
 * Dashboard: the onboarding checklist until it is done, then per store a health badge with its reason,
 * last successful sync, pending jobs, items synced per minute, error rate and orders; Shopify API points
 * used vs the plan's bucket; revenue trend; low-stock count. Charts are inline SVG (decision 052).
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData, useRouteError } from "@remix-run/react";
import {
  Badge,
  BlockStack,
  Box,
  Button,
  Card,
  InlineGrid,
  InlineStack,
  Layout,
  Page,
  ProgressBar,
  Text,
} from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { getDashboard, readApiPoints } from "../models/dashboard.server";
import { HealthBadge, ModeBadge } from "../components/StatusBadges";
import { RECORD_KIND } from "../channels/channel";
import { Time } from "../components/Time";
import { formatCount, formatDay, formatMoney, formatPercent } from "../components/format";
import { PageError } from "../components/PageStates";
import { hasFeature } from "../billing/billing.server";
import { GroupedBarChart, TrendChart } from "../components/Charts";
import { Onboarding } from "../components/Onboarding";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Dashboard" }];

/** Dashboard data of the session's shop plus its live Shopify API cost bucket. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const [dashboard, apiPoints, analytics] = await Promise.all([
    getDashboard(shop),
    readApiPoints(shop.id),
    hasFeature(shop.id, "analytics"),
  ]);
  return json({ shopName: shop.name ?? shop.domain, apiPoints, analytics, ...dashboard });
};

export default function Dashboard() {
  const d = useLoaderData<typeof loader>();
  const sales = d.stores.filter((s) => s.kind !== RECORD_KIND);
  const revenueTotal = d.revenue.reduce((s, r) => s + r.total, 0);
  const money = (n: number) => formatMoney(n, d.currency);
  return (
    <Page title="Dashboard" subtitle={`Stock kept exact across ${d.shopName}'s stores`}>
      <TitleBar title="Dashboard" />
      <BlockStack gap="500">
        {!d.onboarding.done && <Onboarding steps={d.onboarding.steps} />}
        <InlineGrid columns={{ xs: 2, md: 4 }} gap="400">
          <Kpi
            label="SKUs tracked"
            value={`${formatCount(d.catalogItems)}`}
            url="/app/inventory"
            linkLabel="View inventory"
          />
          <Kpi
            label={`Low stock (≤ ${d.lowStockThreshold})`}
            value={formatCount(d.lowStockCount)}
            url="/app/inventory?low=1"
            linkLabel="View low-stock SKUs"
            tone={d.lowStockCount > 0 ? "caution" : undefined}
          />
          <Kpi
            label="Open conflicts"
            value={formatCount(d.openConflicts)}
            url="/app/conflicts"
            linkLabel="Review conflicts"
            tone={d.openConflicts > 0 ? "critical" : undefined}
          />
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingSm" tone="subdued">
                Shopify API points
              </Text>
              {d.apiPoints ? (
                <>
                  <Text as="p" variant="headingLg">
                    {formatCount(d.apiPoints.used)} / {formatCount(d.apiPoints.maximum)}
                  </Text>
                  <ProgressBar
                    progress={(100 * d.apiPoints.used) / Math.max(1, d.apiPoints.maximum)}
                    size="small"
                    ariaLabelledBy="api-points-label"
                  />
                  <Text as="p" variant="bodySm" tone="subdued" id="api-points-label">
                    {d.apiPoints.plan} plan · restores {formatCount(d.apiPoints.restoreRate)} points/s
                  </Text>
                </>
              ) : (
                <Text as="p" tone="subdued">
                  Not available right now. Shopify did not answer; reload in a minute.
                </Text>
              )}
            </BlockStack>
          </Card>
        </InlineGrid>

        <BlockStack gap="300">
          <Text as="h2" variant="headingMd">
            Stores
          </Text>
          {d.stores.length === 0 ? (
            <Card>
              <Text as="p">
                Your Shopify store appears here once SyncFlow has read its locations. Reload in a minute.
              </Text>
            </Card>
          ) : (
            <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
              {d.stores.map((s) => (
                <Card key={s.id}>
                  <BlockStack gap="300">
                    <InlineStack align="space-between" blockAlign="center" gap="200">
                      <Text as="h3" variant="headingSm">
                        {s.name}
                      </Text>
                      <InlineStack gap="100">
                        <HealthBadge health={s.health} />
                        {s.kind !== RECORD_KIND && <ModeBadge mode={s.mode} />}
                      </InlineStack>
                    </InlineStack>
                    <Text as="p" tone="subdued" variant="bodySm">
                      {s.kindLabel} · {s.baseUrl}
                    </Text>
                    {s.healthReason && (
                      <Text as="p" tone={s.health === "failing" ? "critical" : "caution"}>
                        {s.healthReason}
                      </Text>
                    )}
                    <InlineGrid columns={3} gap="200">
                      <Stat label="Last successful sync" value={<Time value={s.lastSyncAt} />} />
                      <Stat label="Pending jobs" value={s.pendingJobs === null ? "—" : formatCount(s.pendingJobs)} />
                      <Stat label="Items synced / min" value={String(s.itemsPerMinute)} />
                      <Stat
                        label="Error rate (24 h)"
                        value={`${formatPercent(s.errorRate)}${s.failures24h ? ` · ${s.failures24h} failed` : ""}`}
                      />
                      <Stat label="Linked listings" value={formatCount(s.linked)} />
                      <Stat
                        label="Orders today / 7 d / 30 d"
                        value={`${s.ordersToday} / ${s.ordersWeek} / ${s.ordersMonth}`}
                      />
                    </InlineGrid>
                  </BlockStack>
                </Card>
              ))}
            </InlineGrid>
          )}
        </BlockStack>

        {!d.analytics && (
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                Analytics
              </Text>
              <Text as="p" tone="subdued">
                Revenue trends and orders by store are part of the Professional and Enterprise plans.
              </Text>
              <Box>
                <Button url="/app/plan">See plans</Button>
              </Box>
            </BlockStack>
          </Card>
        )}
        {d.analytics && (
          <Layout>
            <Layout.Section>
              <Card>
                <BlockStack gap="300">
                  <InlineStack align="space-between">
                    <Text as="h2" variant="headingMd">
                      Revenue, last 30 days
                    </Text>
                    <Text as="p" fontWeight="semibold">
                      {money(revenueTotal)}
                    </Text>
                  </InlineStack>
                  <TrendChart
                    title="Daily revenue, all stores"
                    points={d.revenue.map((r) => ({ label: formatDay(r.day), value: r.total }))}
                    format={(n) => formatMoney(Math.round(n)).replace(/\.00$/, "")}
                  />
                </BlockStack>
              </Card>
            </Layout.Section>
            <Layout.Section variant="oneThird">
              <Card>
                <BlockStack gap="300">
                  <InlineStack align="space-between">
                    <Text as="h2" variant="headingMd">
                      Orders by store
                    </Text>
                    <Button variant="plain" url="/app/orders">
                      View orders
                    </Button>
                  </InlineStack>
                  <GroupedBarChart
                    title="Orders by store: today, last 7 days, last 30 days"
                    categories={["Today", "7 days", "30 days"]}
                    series={d.stores.map((s) => ({
                      name: s.name,
                      values: [s.ordersToday, s.ordersWeek, s.ordersMonth],
                    }))}
                  />
                </BlockStack>
              </Card>
            </Layout.Section>
          </Layout>
        )}
        {sales.length === 0 && d.onboarding.done && (
          <Box>
            <Badge>No sales channel connected</Badge>
          </Box>
        )}
      </BlockStack>
    </Page>
  );
}

function Kpi({
  label,
  value,
  url,
  linkLabel,
  tone,
}: {
  label: string;
  value: string;
  url: string;
  linkLabel: string;
  tone?: "caution" | "critical";
}) {
  return (
    <Card>
      <BlockStack gap="200">
        <Text as="h2" variant="headingSm" tone="subdued">
          {label}
        </Text>
        <Text as="p" variant="headingLg" tone={tone}>
          {value}
        </Text>
        <Box>
          <Button variant="plain" url={url}>
            {linkLabel}
          </Button>
        </Box>
      </BlockStack>
    </Card>
  );
}

function Stat({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <BlockStack gap="050">
      <Text as="span" tone="subdued" variant="bodySm">
        {label}
      </Text>
      <Text as="span" variant="bodyMd" fontWeight="semibold">
        {value}
      </Text>
    </BlockStack>
  );
}

export function ErrorBoundary() {
  return <PageError title="Dashboard" error={useRouteError()} />;
}
