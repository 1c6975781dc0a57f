/**
 * Activity, two tabs:
 *  - Stock changes (default): the shop's stock ledger, newest first — every quantity change SyncFlow
 *    observed or made, with its cause, delta, before → after and idempotency key. Filter by cause
 *    (`?cause=`), older rows by keyset cursor (`?cursor=<id>`). CSV export (streamed) at /app/exports/activity.csv.
 *  - Sync log (`?tab=runs`): reconciliations and bulk actions with status, duration and items per run;
 *    filters kind / status / store / date range.
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
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
  Page,
  Select,
  Tabs,
  Text,
} from "@shopify/polaris";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { downloadFile } from "../components/download";
import { requireShop } from "../models/shop.server";
import { listChannels } from "../models/channels.server";
import { getActivityPage, parseActivityParams } from "../models/activity.server";
import { LEDGER_CAUSES, CAUSE_LABEL } from "../lib/page-constants";
import { listRuns, parseRunParams } from "../models/runs.server";
import { SyncLog } from "../components/SyncLog";
import { Time } from "../components/Time";
import { formatDelta } from "../components/format";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Activity" }];

/** Ledger rows (`?cause=`, `?cursor=`) or, with `?tab=runs`, sync runs of the session shop. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const url = new URL(request.url);
  if (url.searchParams.get("tab") === "runs") {
    const f = parseRunParams(url);
    const [runs, stores] = await Promise.all([listRuns(shop.id, f), listChannels(shop.id)]);
    return json({
      tab: "runs" as const,
      runs: {
        ...runs,
        filter: {
          kind: f.kind ?? "",
          status: f.status ?? "",
          store: f.store ?? "",
          from: f.from ?? "",
          to: f.to ?? "",
        },
        firstPage: !f.cursor,
        stores: stores.map((s) => ({ id: s.id, name: s.name })),
      },
      ledger: null,
    });
  }
  const { cause, cursor } = parseActivityParams(url);
  return json({
    tab: "ledger" as const,
    runs: null,
    ledger: { ...(await getActivityPage(shop.id, { cause, cursor })), firstPage: !cursor },
  });
};

export default function Activity() {
  const data = useLoaderData<typeof loader>();
  const shopify = useAppBridge();
  const [, setSearchParams] = useSearchParams();
  const tabs = [
    { id: "ledger", content: "Stock changes" },
    { id: "runs", content: "Sync log" },
  ];
  return (
    <Page
      title="Activity"
      subtitle="Every stock change SyncFlow observed or made, and every sync run"
      fullWidth
      secondaryActions={[
        {
          content: "Export CSV",
          accessibilityLabel: "Export CSV of stock changes",
          onAction: () =>
            void downloadFile("/app/exports/activity.csv", "activity.csv").then(
              (n) => shopify.toast.show(`Downloaded ${n}`),
              (e: Error) => shopify.toast.show(e.message, { isError: true }),
            ),
        },
      ]}
    >
      <TitleBar title="Activity" />
      <BlockStack gap="300">
        <Tabs
          tabs={tabs}
          selected={data.tab === "runs" ? 1 : 0}
          onSelect={(i) => setSearchParams(i === 1 ? { tab: "runs" } : {})}
        />
        {data.tab === "runs" && data.runs ? (
          <SyncLog {...data.runs} />
        ) : data.ledger ? (
          <Ledger {...data.ledger} />
        ) : null}
      </BlockStack>
    </Page>
  );
}

function Ledger({
  rows,
  nextCursor,
  cause,
  firstPage,
}: NonNullable<ReturnType<typeof useLoaderData<typeof loader>>["ledger"]>) {
  const navigation = useNavigation();
  const submit = useSubmit();
  const loading = navigation.state === "loading" && navigation.location.pathname === "/app/activity";
  const causeParam = cause ? `cause=${cause}&` : "";

  return (
    <Card padding="0">
      <Box padding="300">
        <Form method="get" aria-label="Filter activity">
          <InlineStack gap="200" blockAlign="end">
            <Box minWidth="220px">
              <Select
                label="Cause"
                name="cause"
                value={cause ?? ""}
                options={[
                  { label: "All causes", value: "" },
                  ...LEDGER_CAUSES.map((c) => ({ label: CAUSE_LABEL[c] ?? c, value: c })),
                ]}
                onChange={(value) => submit(value ? { cause: value } : {}, { method: "get", action: "/app/activity" })}
              />
            </Box>
          </InlineStack>
        </Form>
      </Box>
      <IndexTable
        resourceName={{ singular: "change", plural: "changes" }}
        itemCount={rows.length}
        selectable={false}
        loading={loading}
        headings={[
          { title: "Time" },
          { title: "SKU" },
          { title: "Store" },
          { title: "Cause" },
          { title: "Change", alignment: "end" },
          { title: "Before → after" },
          { title: "Idempotency key" },
          { title: "Note" },
        ]}
        emptyState={
          <Box padding="600">
            <BlockStack gap="200" inlineAlign="center">
              <Text as="p" variant="headingSm">
                {cause ? `No “${CAUSE_LABEL[cause] ?? cause}” changes yet` : "No stock changes yet"}
              </Text>
              <Text as="p" tone="subdued">
                {cause
                  ? "Choose “All causes” to see every change."
                  : "Changes appear here as soon as an order, a store edit or a sync moves stock. Connect a sales channel on the Channels page to start."}
              </Text>
            </BlockStack>
          </Box>
        }
      >
        {rows.map((r, i) => (
          <IndexTable.Row id={r.id} key={r.id} position={i}>
            <IndexTable.Cell>
              <Time value={r.createdAt} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <BlockStack gap="050">
                <Text as="span" fontWeight="semibold">
                  {r.sku}
                </Text>
                <Text as="span" tone="subdued" variant="bodySm">
                  {r.title}
                </Text>
              </BlockStack>
            </IndexTable.Cell>
            <IndexTable.Cell>{r.store ?? "Shopify"}</IndexTable.Cell>
            <IndexTable.Cell>
              <Badge>{CAUSE_LABEL[r.cause] ?? r.cause}</Badge>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text
                as="span"
                alignment="end"
                numeric
                tone={r.delta && r.delta < 0 ? "critical" : r.delta && r.delta > 0 ? "success" : undefined}
              >
                {formatDelta(r.delta)}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" numeric>
                {r.before ?? "—"} → {r.after ?? "—"}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" variant="bodySm" tone="subdued" breakWord>
                <code>{r.idempotencyKey}</code>
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" variant="bodySm">
                {r.note ?? ""}
              </Text>
            </IndexTable.Cell>
          </IndexTable.Row>
        ))}
      </IndexTable>
      {(!firstPage || nextCursor) && (
        <Box padding="300" borderBlockStartWidth="025" borderColor="border">
          <InlineStack align="end" gap="200">
            {!firstPage && <Button url={`/app/activity${cause ? `?cause=${cause}` : ""}`}>Newest</Button>}
            {nextCursor && <Button url={`/app/activity?${causeParam}cursor=${nextCursor}`}>Older changes</Button>}
          </InlineStack>
        </Box>
      )}
    </Card>
  );
}

export function ErrorBoundary() {
  return <PageError title="Activity" error={useRouteError()} />;
}
