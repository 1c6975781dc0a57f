/**
 * Plan: the shop's SyncFlow plan, usage against its limits (sales channels, orders this billing period),
 * paused channels, and the four plans to choose from. Charges go through Shopify's Billing API
 * (app/billing/subscription.server.ts): choosing a paid plan opens Shopify's confirmation page at the top
 * level; Shopify brings the merchant back here, and every load re-reads the subscription from Shopify.
 * Choosing Free cancels the subscription. A downgrade below the connected channel count says which channels
 * it will pause before it is confirmed (decision 171).
 */
import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useRouteError } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  InlineGrid,
  InlineStack,
  Layout,
  List,
  Page,
  ProgressBar,
  Text,
} from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { authenticate } from "../shopify.server";
import { requireShop } from "../models/shop.server";
import { billingUsage } from "../billing/billing.server";
import { PLANS, PLAN_KEYS, channelsToPauseAndResume, isPlanKey, planRank, type PlanKey } from "../billing/plans";
import {
  cancelSubscription,
  isTestCharge,
  startSubscription,
  syncSubscriptionFromShopify,
} from "../billing/subscription.server";
import { PageError } from "../components/PageStates";
import { formatCount, formatDateTime } from "../components/format";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Plan" }];

/** The plan in force (re-read from Shopify), usage against limits, and what a change to each plan would pause. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const { billing } = await authenticate.admin(request);
  let syncError: string | null = null;
  try {
    await syncSubscriptionFromShopify(billing, shop.id);
  } catch (e) {
    if (e instanceof Response) throw e;
    console.error("[plan] could not read the subscription from Shopify:", e);
    syncError =
      "SyncFlow could not check your subscription with Shopify just now; the plan shown is the last one Shopify confirmed.";
  }
  const usage = await billingUsage(shop.id);
  const pausedIfChosen = Object.fromEntries(
    PLAN_KEYS.map((k) => [
      k,
      channelsToPauseAndResume(
        k,
        usage.channels.map((c, i) => ({
          id: c.id,
          createdAt: new Date(i),
          pausedAt: c.pausedAt ? new Date(c.pausedAt) : null,
        })),
      ).pause.map((id) => usage.channels.find((c) => c.id === id)!.name),
    ]),
  ) as Record<PlanKey, string[]>;
  return json({ usage, pausedIfChosen, syncError }, { headers: { "Cache-Control": "no-store" } });
};

type ActionData = { ok: true; confirmationUrl?: string; message?: string } | { ok: false; error: string };

/** `intent=choose&plan=<key>`: a paid plan → Shopify's confirmation URL; Free → cancel the subscription. */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  const { billing, admin } = await authenticate.admin(request);
  const form = await request.formData();
  const plan = form.get("plan");
  const headers = { "Cache-Control": "no-store" };
  if (form.get("intent") !== "choose" || !isPlanKey(plan))
    return json<ActionData>({ ok: false, error: "Choose one of the plans." }, { status: 400, headers });
  const isTest = await isTestCharge(admin);
  try {
    if (plan === "free") {
      await cancelSubscription(billing, shop.id, isTest);
      return json<ActionData>(
        { ok: true, message: "Your subscription is cancelled; you are on the Free plan." },
        { headers },
      );
    }
    return json<ActionData>(
      { ok: true, confirmationUrl: await startSubscription(billing, shop.id, plan, isTest) },
      { headers },
    );
  } catch (e) {
    if (e instanceof Response && e.status !== 401) throw e;
    console.error("[plan] billing request failed:", e);
    return json<ActionData>(
      { ok: false, error: "Shopify did not accept the plan change. Try again in a minute; nothing was charged." },
      { status: 502, headers },
    );
  }
};

export default function PlanPage() {
  const { usage, pausedIfChosen, syncError } = useLoaderData<typeof loader>();
  const fetcher = useFetcher<typeof action>();
  const [confirming, setConfirming] = useState<PlanKey | null>(null);
  const result = fetcher.data as ActionData | undefined;
  useEffect(() => {
    // Shopify's confirmation page must open at the top level (outside the admin iframe): App Bridge handles `_top`.
    if (result?.ok && result.confirmationUrl) window.open(result.confirmationUrl, "_top");
  }, [result]);
  const current = usage.plan.key as PlanKey;
  const maxOrders = usage.plan.maxOrdersPerPeriod;
  const maxChannels = usage.plan.maxChannels;
  const paused = usage.channels.filter((c) => c.pausedAt);
  const choose = (k: PlanKey) => {
    if (pausedIfChosen[k].length && confirming !== k) return setConfirming(k);
    setConfirming(null);
    fetcher.submit({ intent: "choose", plan: k }, { method: "post" });
  };

  return (
    <Page title="Plan" subtitle="Exact stock sync and allocations are in every plan">
      <TitleBar title="Plan" />
      <Layout>
        {syncError && (
          <Layout.Section>
            <Banner tone="warning">{syncError}</Banner>
          </Layout.Section>
        )}
        {result && !result.ok && (
          <Layout.Section>
            <Banner tone="critical">{result.error}</Banner>
          </Layout.Section>
        )}
        {result?.ok && result.message && (
          <Layout.Section>
            <Banner tone="success">{result.message}</Banner>
          </Layout.Section>
        )}
        {!usage.needsOwnPlan && (
          <Layout.Section>
            <Banner tone="info" title="No plan needed">
              This shop is connected to a central shop as one of its sales channels; the central shop's plan covers it.
            </Banner>
          </Layout.Section>
        )}
        {paused.length > 0 && (
          <Layout.Section>
            <Banner
              tone="warning"
              title={`${paused.length} sales channel${paused.length === 1 ? " is" : "s are"} paused by your plan`}
            >
              <BlockStack gap="200">
                <Text as="p">
                  Their stock keeps syncing, so nothing oversells. SyncFlow does not import their orders or send
                  notifications about them until you upgrade. Nothing was deleted.
                </Text>
                <List>
                  {paused.map((c) => (
                    <List.Item key={c.id}>{c.name}</List.Item>
                  ))}
                </List>
              </BlockStack>
            </Banner>
          </Layout.Section>
        )}
        {usage.ordersNotImported > 0 && (
          <Layout.Section>
            <Banner
              tone="warning"
              title={`${formatCount(usage.ordersNotImported)} orders this period are not in the orders hub`}
            >
              The {usage.plan.label} plan imports {formatCount(maxOrders ?? 0)} orders a billing period. Their stock was
              synced all the same; upgrade to see new orders again.
            </Banner>
          </Layout.Section>
        )}
        <Layout.Section>
          <Card>
            <BlockStack gap="400">
              <InlineStack align="space-between" blockAlign="center">
                <InlineStack gap="200" blockAlign="center">
                  <Text as="h2" variant="headingLg">
                    {usage.plan.label}
                  </Text>
                  {usage.subscription.test && current !== "free" && <Badge tone="info">Test charge</Badge>}
                  {usage.subscription.trialEndsAt && new Date(usage.subscription.trialEndsAt) > new Date() && (
                    <Badge tone="attention">{`Trial until ${formatDateTime(usage.subscription.trialEndsAt)}`}</Badge>
                  )}
                </InlineStack>
                <Text as="p" variant="headingMd">
                  {usage.plan.priceUsd ? `$${usage.plan.priceUsd}/month` : "Free"}
                </Text>
              </InlineStack>
              <Text as="p" tone="subdued">
                Billing period {formatDateTime(usage.period.start)} – {formatDateTime(usage.period.end)}
              </Text>
              <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
                <Usage label="Sales channels" used={usage.activeChannels} max={maxChannels} id="usage-channels" />
                <Usage label="Orders this period" used={usage.ordersThisPeriod} max={maxOrders} id="usage-orders" />
              </InlineGrid>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <InlineGrid columns={{ xs: 1, sm: 2, lg: 4 }} gap="400">
            {PLAN_KEYS.map((k) => {
              const p = PLANS[k];
              const isCurrent = k === current;
              return (
                <Card key={k}>
                  <BlockStack gap="300">
                    <InlineStack align="space-between">
                      <Text as="h3" variant="headingMd">
                        {p.label}
                      </Text>
                      {isCurrent && <Badge tone="success">Current</Badge>}
                    </InlineStack>
                    <Text as="p" variant="headingLg">
                      {p.priceUsd ? `$${p.priceUsd}` : "$0"}
                      <Text as="span" variant="bodySm" tone="subdued">
                        {" "}
                        / month
                      </Text>
                    </Text>
                    <List>
                      {p.highlights.map((h) => (
                        <List.Item key={h}>{h}</List.Item>
                      ))}
                    </List>
                    {k !== "free" && !usage.subscription.trialUsed && (
                      <Text as="p" tone="subdued" variant="bodySm">
                        14-day free trial
                      </Text>
                    )}
                    {confirming === k && (
                      <Banner tone="warning">
                        {`${p.label} allows ${p.maxChannels} sales channel${p.maxChannels === 1 ? "" : "s"}: ${pausedIfChosen[k].join(", ")} will be paused (stock keeps syncing; nothing is deleted).`}
                      </Banner>
                    )}
                    <Box>
                      <Button
                        variant={isCurrent ? "secondary" : planRank(k) > planRank(current) ? "primary" : "secondary"}
                        disabled={isCurrent || !usage.needsOwnPlan}
                        loading={fetcher.state !== "idle" && fetcher.formData?.get("plan") === k}
                        onClick={() => choose(k)}
                        accessibilityLabel={`Choose ${p.label}`}
                      >
                        {isCurrent
                          ? "Current plan"
                          : confirming === k
                            ? `Confirm ${p.label}`
                            : planRank(k) > planRank(current)
                              ? `Upgrade to ${p.label}`
                              : `Switch to ${p.label}`}
                      </Button>
                    </Box>
                  </BlockStack>
                </Card>
              );
            })}
          </InlineGrid>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

function Usage({ label, used, max, id }: { label: string; used: number; max: number | null; id: string }) {
  return (
    <BlockStack gap="200">
      <Text as="h3" variant="headingSm" id={id}>
        {label}
      </Text>
      <Text as="p" variant="headingMd">
        {formatCount(used)} {max === null ? "(unlimited)" : `of ${formatCount(max)}`}
      </Text>
      {max !== null && (
        <ProgressBar
          progress={Math.min(100, (100 * used) / Math.max(1, max))}
          size="small"
          tone={used >= max ? "critical" : "highlight"}
          ariaLabelledBy={id}
        />
      )}
    </BlockStack>
  );
}

export function ErrorBoundary() {
  return <PageError title="Plan" error={useRouteError()} />;
}
