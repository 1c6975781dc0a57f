/**
 * Order detail: the order's journey through the orders hub (issue 15 item 5) — received, stock taken, the import into
 * the central Shopify shop (attempts, result, error, the Shopify order's link, flags), each central fulfilment with
 * its tracking and its pushback to the source store (state, time, error), tracking delivered — with a retry per failed
 * step; then its lines and what it did to stock (ledger rows and Shopify adjustments).
 */
import { useEffect } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useFetcher, useLoaderData, useRouteError } from "@remix-run/react";
import {
  Badge,
  BlockStack,
  Box,
  Button,
  Card,
  DataTable,
  InlineGrid,
  InlineStack,
  Layout,
  Link as PolarisLink,
  Page,
  Text,
} from "@shopify/polaris";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { getOrderDetail } from "../models/orders.server";
import { Time } from "../components/Time";
import { formatDelta, formatMoney } from "../components/format";
import { CAUSE_LABEL } from "../lib/page-constants";
import { PageError } from "../components/PageStates";
import { CentralOrderLink, STAGE } from "../components/OrderJourney";
import { FLAG_LABEL } from "../lib/order-journey";
import { retryOrderImports, retryOrderPushbacks, type RetryOutcome } from "../sync/orders-hub/retry.server";

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

type RetryData = { ok: true; outcome: RetryOutcome } | { ok: false; error: string };

/** `intent=retry-import | retry-pushback` for this order (the session shop's only). */
export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  const intent = String((await request.formData()).get("intent") ?? "");
  const ids = [String(params.orderId ?? "")];
  try {
    if (intent === "retry-import") return json<RetryData>({ ok: true, outcome: await retryOrderImports(shop.id, ids) });
    if (intent === "retry-pushback")
      return json<RetryData>({ ok: true, outcome: await retryOrderPushbacks(shop.id, ids) });
  } catch (err) {
    console.error("order retry failed", err);
    return json<RetryData>(
      { ok: false, error: "The job queue is unreachable. Try again in a minute." },
      { status: 503 },
    );
  }
  return json<RetryData>({ ok: false, error: "Unknown action." }, { status: 400 });
};

/** Push state label and tone. */
const PUSH: Record<string, { label: string; tone?: "success" | "critical" | "info" | "attention" }> = {
  pending: { label: "Waiting to push", tone: "attention" },
  pushing: { label: "Pushing", tone: "info" },
  pushed: { label: "At the store", tone: "success" },
  failed: { label: "Push failed", tone: "critical" },
  skipped: { label: "Not pushed (pushback off or outside the look-back)" },
};

/** Import state label. */
const IMPORT: Record<string, { label: string; tone?: "success" | "critical" | "info" | "attention" }> = {
  queued: { label: "Queued", tone: "info" },
  imported: { label: "Imported", tone: "success" },
  failed: { label: "Failed", tone: "critical" },
  cancelling: { label: "Cancelling the Shopify order", tone: "attention" },
  cancelled: { label: "Shopify order cancelled" },
};

export default function OrderDetail() {
  const { order: o, lines, ledger, adjustments, journey, import: imp, fulfilments } = useLoaderData<typeof loader>();
  const number = o.number.startsWith("#") ? o.number : `#${o.number}`;
  const retry = useFetcher<typeof action>();
  const shopify = useAppBridge();
  const retryData = retry.data as RetryData | undefined;
  useEffect(() => {
    if (retry.state !== "idle" || !retryData) return;
    if (!retryData.ok) shopify.toast.show(retryData.error, { isError: true });
    else if (retryData.outcome.requeued > 0) shopify.toast.show("Queued again");
    else shopify.toast.show(retryData.outcome.skipped[0]?.reason ?? "Nothing to retry", { isError: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [retry.state, retryData]);
  const busy = retry.state !== "idle";
  const stockAt = ledger.find((r) => (r.delta ?? 0) < 0)?.createdAt ?? null;
  const isCentral = journey.stage === "central";
  const canRetryImport =
    !isCentral && !imp.centralOrderId && !o.cancelledAt && (imp.state === "failed" || imp.state === "queued");
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
            {!isCentral && (
              <Card>
                <BlockStack gap="400">
                  <InlineStack align="space-between" blockAlign="center">
                    <Text as="h2" variant="headingMd">
                      Journey
                    </Text>
                    <InlineStack gap="100">
                      <Badge tone={STAGE[journey.stage].tone} progress={STAGE[journey.stage].progress}>
                        {STAGE[journey.stage].label}
                      </Badge>
                      {journey.attention.length > 0 && <Badge tone="critical">Needs attention</Badge>}
                    </InlineStack>
                  </InlineStack>
                  <BlockStack gap="300" as="ol" id="order-journey">
                    <Step title="Received" done>
                      <Text as="p">
                        Placed at {o.store} <Time value={o.placedAt} />; reached SyncFlow <Time value={o.receivedAt} />.
                      </Text>
                    </Step>
                    <Step title="Stock taken" done={!!stockAt || o.stockTaken}>
                      <Text as="p" tone={stockAt ? undefined : "subdued"}>
                        {stockAt ? (
                          <>
                            Counted against stock <Time value={stockAt} /> (one ledger row per line — see below).
                          </>
                        ) : o.stockTaken ? (
                          "Counted against stock."
                        ) : (
                          "Not counted against stock (cancelled, refunded or not taken yet)."
                        )}
                      </Text>
                    </Step>
                    <Step
                      title="Imported to Shopify"
                      done={!!imp.centralOrderId}
                      failed={imp.state === "failed"}
                      action={
                        canRetryImport ? (
                          <Button
                            size="slim"
                            loading={busy}
                            onClick={() => retry.submit({ intent: "retry-import" }, { method: "post" })}
                          >
                            Retry import
                          </Button>
                        ) : null
                      }
                    >
                      <BlockStack gap="100">
                        <InlineStack gap="200" blockAlign="center">
                          {imp.state ? (
                            <Badge tone={IMPORT[imp.state]?.tone}>{IMPORT[imp.state]?.label ?? imp.state}</Badge>
                          ) : (
                            <Text as="span" tone="subdued">
                              Not imported (import is off for this store, or the order did not qualify).
                            </Text>
                          )}
                          <CentralOrderLink central={journey.central} />
                          {imp.importedAt && (
                            <Text as="span" tone="subdued">
                              <Time value={imp.importedAt} />
                            </Text>
                          )}
                        </InlineStack>
                        {imp.state && (
                          <Text as="p" tone="subdued" variant="bodySm">
                            {`${imp.attempts} attempt${imp.attempts === 1 ? "" : "s"}`}
                          </Text>
                        )}
                        {imp.error && (
                          <Text as="p" tone="critical">
                            {`Last error: ${imp.error}`}
                          </Text>
                        )}
                        {imp.flags.map((f) => (
                          <Text as="p" key={f} tone="caution">
                            {FLAG_LABEL[f] ?? f}
                          </Text>
                        ))}
                      </BlockStack>
                    </Step>
                    <Step
                      title={imp.fulfilmentState === "partial" ? "Fulfilled (partly so far)" : "Fulfilled in Shopify"}
                      done={imp.fulfilmentState === "fulfilled"}
                      failed={fulfilments.some((f) => f.pushState === "failed")}
                      action={
                        fulfilments.some((f) => f.pushState === "failed" || f.pushState === "pending") ? (
                          <Button
                            size="slim"
                            loading={busy}
                            onClick={() => retry.submit({ intent: "retry-pushback" }, { method: "post" })}
                          >
                            Retry pushback
                          </Button>
                        ) : null
                      }
                    >
                      {fulfilments.length === 0 ? (
                        <Text as="p" tone="subdued">
                          Nothing shipped from Shopify yet.
                        </Text>
                      ) : (
                        <BlockStack gap="200">
                          {fulfilments.map((f, i) => (
                            <Box key={f.id} padding="200" background="bg-surface-secondary" borderRadius="200">
                              <BlockStack gap="100">
                                <InlineStack gap="200" blockAlign="center">
                                  <Text as="span" fontWeight="semibold">
                                    {`Fulfilment ${i + 1}`}
                                  </Text>
                                  <Text as="span" tone="subdued">
                                    {`${f.units} unit${f.units === 1 ? "" : "s"} · ${f.centralStatus.toLowerCase()} · `}
                                    <Time value={f.fulfilledAt} />
                                  </Text>
                                </InlineStack>
                                <Text as="p">
                                  {f.trackingNumbers.length === 0
                                    ? "No tracking number"
                                    : `${f.trackingCompany ?? "Tracking"}: `}
                                  {f.trackingNumbers.map((t, k) => (
                                    <span key={t}>
                                      {k > 0 && ", "}
                                      {f.trackingUrls[k] ? (
                                        <PolarisLink url={f.trackingUrls[k]} target="_blank">
                                          {t}
                                        </PolarisLink>
                                      ) : (
                                        t
                                      )}
                                    </span>
                                  ))}
                                </Text>
                                <InlineStack gap="200" blockAlign="center">
                                  <Badge tone={PUSH[f.pushState]?.tone}>
                                    {PUSH[f.pushState]?.label ?? f.pushState}
                                  </Badge>
                                  {f.pushedAt && (
                                    <Text as="span" tone="subdued">
                                      <Time value={f.pushedAt} />
                                    </Text>
                                  )}
                                  {f.pushAttempts > 0 && (
                                    <Text as="span" tone="subdued" variant="bodySm">
                                      {`${f.pushAttempts} attempt${f.pushAttempts === 1 ? "" : "s"}`}
                                    </Text>
                                  )}
                                </InlineStack>
                                {f.pushError && (
                                  <Text as="p" tone="critical">
                                    {`Last error: ${f.pushError}`}
                                  </Text>
                                )}
                              </BlockStack>
                            </Box>
                          ))}
                        </BlockStack>
                      )}
                    </Step>
                    <Step title="Tracking delivered to the store" done={!!imp.trackingDeliveredAt}>
                      <Text as="p" tone={imp.trackingDeliveredAt ? undefined : "subdued"}>
                        {imp.trackingDeliveredAt ? (
                          <>
                            Every shipment reached {o.store} <Time value={imp.trackingDeliveredAt} />.
                          </>
                        ) : (
                          "Not yet."
                        )}
                      </Text>
                    </Step>
                  </BlockStack>
                </BlockStack>
              </Card>
            )}
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

/** One journey step: a done / failed / to-do marker, its title, its details and its retry action. */
function Step({
  title,
  done,
  failed = false,
  action,
  children,
}: {
  title: string;
  done: boolean;
  failed?: boolean;
  action?: React.ReactNode;
  children: React.ReactNode;
}) {
  const mark = failed ? "✕" : done ? "✓" : "○";
  return (
    <Box as="li" paddingInlineStart="0">
      <InlineStack gap="300" wrap={false} blockAlign="start">
        <Text as="span" tone={failed ? "critical" : done ? "success" : "subdued"} fontWeight="bold">
          <span aria-hidden="true">{mark}</span>
        </Text>
        <Box width="100%">
          <BlockStack gap="100">
            <InlineStack align="space-between" blockAlign="center">
              <Text as="h3" variant="headingSm">
                {title}
                <Text as="span" visuallyHidden>
                  {failed ? " (failed)" : done ? " (done)" : " (not yet)"}
                </Text>
              </Text>
              {action}
            </InlineStack>
            {children}
          </BlockStack>
        </Box>
      </InlineStack>
    </Box>
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
