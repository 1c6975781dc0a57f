/**
 * Notifications: the record of every notification SyncFlow sent, held for a digest, or suppressed (and
 * why), newest first. Filter by status (`?status=`), older rows with `?cursor=`.
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData, useRouteError, useSubmit } from "@remix-run/react";
import { Badge, BlockStack, Box, Button, Card, IndexTable, InlineStack, Page, Select, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { getNotificationPage } from "../notify/log.server";
import { NOTIFICATION_STATUSES } from "../notify/kinds";
import { kindLabel } from "../notify/templates";
import { Time } from "../components/Time";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Notifications" }];

/** The record of the session shop. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const url = new URL(request.url);
  const status = url.searchParams.get("status");
  const cursor = url.searchParams.get("cursor");
  return json({ ...(await getNotificationPage(shop.id, { status, cursor })), status: status ?? "" });
};

const REASON: Record<string, string> = {
  disabled: "turned off in settings",
  no_recipients: "no recipient set",
  not_configured: "provider not configured on the server",
  duplicate: "already alerted (until it recovers)",
  quiet_hours: "quiet hours",
  rate_limited: "rate limit: sent in a digest",
  daily_cap: "daily cap reached",
  loop: "a notification itself failed",
};

const TONE: Record<string, "success" | "critical" | "attention" | "info" | undefined> = {
  sent: "success",
  delivered: "success",
  failed: "critical",
  held: "attention",
  queued: "info",
  digested: undefined,
  suppressed: undefined,
};

export default function Notifications() {
  const { rows, nextCursor, status } = useLoaderData<typeof loader>();
  const submit = useSubmit();
  return (
    <Page
      title="Notifications"
      subtitle="Every e-mail and SMS SyncFlow sent, held or suppressed"
      fullWidth
      secondaryActions={[{ content: "Settings", url: "/app/settings/notifications" }]}
    >
      <TitleBar title="Notifications" />
      <Card padding="0">
        <Box padding="300">
          <Box maxWidth="240px">
            <Select
              label="Status"
              value={status}
              options={[{ label: "All", value: "" }, ...NOTIFICATION_STATUSES.map((s) => ({ label: s, value: s }))]}
              onChange={(v) => submit(v ? { status: v } : {}, { method: "get", action: "/app/notifications" })}
            />
          </Box>
        </Box>
        <IndexTable
          resourceName={{ singular: "notification", plural: "notifications" }}
          itemCount={rows.length}
          selectable={false}
          headings={[
            { title: "Time" },
            { title: "Event" },
            { title: "Channel" },
            { title: "To" },
            { title: "Status" },
            { title: "Subject / message" },
            { title: "Details" },
          ]}
          emptyState={
            <Box padding="600">
              <BlockStack gap="200" inlineAlign="center">
                <Text as="p" variant="headingSm">
                  No notifications yet
                </Text>
                <Text as="p" tone="subdued">
                  Set recipients in Settings and use “Send test e-mail” to check delivery.
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
                {r.kind === "digest" ? "Digest" : r.kind === "test" ? "Test" : kindLabel(r.kind)}
              </IndexTable.Cell>
              <IndexTable.Cell>{r.channel === "sms" ? "SMS" : "E-mail"}</IndexTable.Cell>
              <IndexTable.Cell>
                <Text as="span" variant="bodySm" breakWord>
                  {r.recipient}
                </Text>
              </IndexTable.Cell>
              <IndexTable.Cell>
                <Badge tone={TONE[r.status]}>{r.status}</Badge>
              </IndexTable.Cell>
              <IndexTable.Cell>
                <Text as="span" variant="bodySm" breakWord>
                  {r.subject ?? ""}
                </Text>
              </IndexTable.Cell>
              <IndexTable.Cell>
                <Text as="span" variant="bodySm" tone={r.error ? "critical" : "subdued"} breakWord>
                  {[
                    r.reason ? (REASON[r.reason] ?? r.reason) : null,
                    r.providerStatus ? `provider: ${r.providerStatus}` : null,
                    r.attempts > 1 ? `${r.attempts} attempts` : null,
                    r.error,
                  ]
                    .filter(Boolean)
                    .join(" · ")}
                </Text>
              </IndexTable.Cell>
            </IndexTable.Row>
          ))}
        </IndexTable>
        {nextCursor && (
          <Box padding="300" borderBlockStartWidth="025" borderColor="border">
            <InlineStack align="end">
              <Button url={`/app/notifications?${status ? `status=${status}&` : ""}cursor=${nextCursor}`}>Older</Button>
            </InlineStack>
          </Box>
        )}
      </Card>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Notifications" error={useRouteError()} />;
}
