/**
 * Activity: the shop's stock ledger, newest first — every quantity change SyncFlow observed or made, with
 * its cause, delta, before → after and idempotency key. Filter by cause (`?cause=`), older rows by
 * keyset cursor (`?cursor=<id>`).
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useLoaderData, useNavigation, useRouteError, useSubmit } from "@remix-run/react";
import { Badge, BlockStack, Box, Button, Card, IndexTable, InlineStack, Page, Select, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { getActivityPage, parseActivityParams } from "../models/activity.server";
import { LEDGER_CAUSES } from "../components/constants";
import { Time } from "../components/Time";
import { formatDelta } from "../components/format";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Activity" }];

/** Ledger rows of the session shop (`?cause=`, `?cursor=`). */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const { cause, cursor } = parseActivityParams(new URL(request.url));
  return json({ ...(await getActivityPage(shop.id, { cause, cursor })), firstPage: !cursor });
};

const CAUSE_LABEL: Record<string, string> = {
  order: "Order",
  cancel: "Cancellation",
  refund: "Refund",
  webhook: "Store change",
  push: "Push to store",
  reconcile: "Reconcile",
  manual: "Manual",
  initial: "Initial",
};

export default function Activity() {
  const { rows, nextCursor, cause, firstPage } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const submit = useSubmit();
  const loading = navigation.state === "loading" && navigation.location.pathname === "/app/activity";
  const causeParam = cause ? `cause=${cause}&` : "";

  return (
    <Page title="Activity" subtitle="Every stock change SyncFlow observed or made, newest first" fullWidth>
      <TitleBar title="Activity" />
      <Card padding="0">
        <Box padding="300">
          <Form method="get" aria-label="Filter activity">
            <InlineStack gap="200" blockAlign="end">
              <Box minWidth="220px">
                <Select
                  label="Cause"
                  name="cause"
                  value={cause ?? ""}
                  options={[{ label: "All causes", value: "" }, ...LEDGER_CAUSES.map((c) => ({ label: CAUSE_LABEL[c] ?? c, value: c }))]}
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
                    : "Changes appear here as soon as an order, a store edit or a sync moves stock. Connect a WooCommerce store on the Channels page to start."}
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
                <Text as="span" alignment="end" numeric tone={r.delta && r.delta < 0 ? "critical" : r.delta && r.delta > 0 ? "success" : undefined}>
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
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Activity" error={useRouteError()} />;
}
