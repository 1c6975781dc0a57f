/**
 * Dead letters: background jobs whose retries are spent, with their cause and attempts. Replay one or
 * many (re-sent to their original queue; handlers are idempotent) or discard with a reason.
 */
import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useRouteError } from "@remix-run/react";
import {
  Badge,
  BlockStack,
  Box,
  Button,
  Card,
  IndexTable,
  InlineStack,
  Page,
  Text,
  TextField,
  useIndexResourceState,
} from "@shopify/polaris";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { discardDeadLetters, listDeadLetters, replayDeadLetters } from "../models/dead-letters.server";
import { Time } from "../components/Time";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Dead letters" }];

/** The session shop's dead letters. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  try {
    return json({ rows: await listDeadLetters(shop.id), error: null as string | null });
  } catch (err) {
    console.error("listDeadLetters failed", err);
    return json({
      rows: [],
      error: "The job queue could not be read. Check that the database is reachable, then reload.",
    });
  }
};

type ActionData = { ok: boolean; message: string };

/** `intent=replay` | `intent=discard` (with `reason`), `ids` = JSON array of dead-letter job ids. */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, session } = await requireShop(request);
  const form = await request.formData();
  let ids: string[] = [];
  try {
    ids = (JSON.parse(String(form.get("ids") ?? "[]")) as unknown[]).map(String).slice(0, 1000);
  } catch {
    /* empty selection */
  }
  if (!ids.length) return json<ActionData>({ ok: false, message: "Select at least one failed job." }, { status: 400 });
  if (form.get("intent") === "replay") {
    const n = await replayDeadLetters(shop.id, ids);
    return json<ActionData>({
      ok: n > 0,
      message: n ? `Replayed ${n} job${n === 1 ? "" : "s"}` : "Nothing replayed: those jobs are gone. Reload the page.",
    });
  }
  if (form.get("intent") === "discard") {
    const reason = String(form.get("reason") ?? "")
      .trim()
      .slice(0, 500);
    if (reason.length < 3)
      return json<ActionData>(
        { ok: false, message: "Say why you discard them (at least 3 characters)." },
        { status: 400 },
      );
    const n = await discardDeadLetters(shop.id, ids, reason, session.shop);
    return json<ActionData>({
      ok: n > 0,
      message: n
        ? `Discarded ${n} job${n === 1 ? "" : "s"}`
        : "Nothing discarded: those jobs are gone. Reload the page.",
    });
  }
  return json<ActionData>({ ok: false, message: "Unknown action." }, { status: 400 });
};

const QUEUE_LABEL: Record<string, string> = {
  "push-stock": "Push stock to store",
  "shopify-adjust": "Apply sale to Shopify",
  webhook: "Process webhook",
  "link-channel": "Read store catalog",
  reconcile: "Reconciliation",
  bulk: "Bulk action",
  "webhook-deliver": "Outbound webhook",
};

export default function DeadLetters() {
  const { rows, error } = useLoaderData<typeof loader>();
  const fetcher = useFetcher<ActionData>();
  const shopify = useAppBridge();
  const [discarding, setDiscarding] = useState(false);
  const [reason, setReason] = useState("");
  const { selectedResources, allResourcesSelected, handleSelectionChange, clearSelection } =
    useIndexResourceState(rows);
  const selected = allResourcesSelected ? rows.map((r) => r.id) : selectedResources;
  useEffect(() => {
    if (fetcher.state !== "idle" || !fetcher.data) return;
    shopify.toast.show(fetcher.data.message, { isError: !fetcher.data.ok });
    if (fetcher.data.ok) {
      clearSelection();
      setDiscarding(false);
      setReason("");
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fetcher.state, fetcher.data]);
  const submit = (intent: string, extra: Record<string, string> = {}) =>
    fetcher.submit({ intent, ids: JSON.stringify(selected), ...extra }, { method: "post" });

  return (
    <Page title="Dead letters" subtitle="Background jobs that failed after every retry">
      <TitleBar title="Dead letters" />
      <BlockStack gap="400">
        {error && (
          <Card>
            <Text as="p" tone="critical">
              {error}
            </Text>
          </Card>
        )}
        {discarding && (
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Discard {selected.length} failed job{selected.length === 1 ? "" : "s"}
              </Text>
              <TextField
                label="Reason"
                value={reason}
                onChange={setReason}
                autoComplete="off"
                helpText="Kept in the shop's history with who discarded them."
                multiline={2}
              />
              <InlineStack gap="200">
                <Button
                  tone="critical"
                  variant="primary"
                  onClick={() => submit("discard", { reason })}
                  loading={fetcher.state !== "idle"}
                >
                  Discard
                </Button>
                <Button onClick={() => setDiscarding(false)}>Cancel</Button>
              </InlineStack>
            </BlockStack>
          </Card>
        )}
        <Card padding="0">
          <IndexTable
            resourceName={{ singular: "failed job", plural: "failed jobs" }}
            itemCount={rows.length}
            selectedItemsCount={allResourcesSelected ? "All" : selectedResources.length}
            onSelectionChange={handleSelectionChange}
            promotedBulkActions={[
              { content: "Replay", onAction: () => submit("replay") },
              { content: "Discard…", onAction: () => setDiscarding(true) },
            ]}
            headings={[
              { title: "Failed" },
              { title: "Job" },
              { title: "About" },
              { title: "Cause" },
              { title: "Attempts", alignment: "end" },
            ]}
            emptyState={
              <Box padding="600">
                <BlockStack gap="200" inlineAlign="center">
                  <Text as="p" variant="headingSm">
                    No failed jobs
                  </Text>
                  <Text as="p" tone="subdued">
                    When a job fails after all its retries, it waits here so you can replay or discard it.
                  </Text>
                </BlockStack>
              </Box>
            }
          >
            {rows.map((r, i) => (
              <IndexTable.Row id={r.id} key={r.id} position={i} selected={selectedResources.includes(r.id)}>
                <IndexTable.Cell>
                  <Time value={r.failedAt} />
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <Badge>{QUEUE_LABEL[r.queue] ?? r.queue}</Badge>
                </IndexTable.Cell>
                <IndexTable.Cell>{r.summary}</IndexTable.Cell>
                <IndexTable.Cell>
                  <Text as="span" tone="critical" breakWord>
                    {r.cause}
                  </Text>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <Text as="span" alignment="end" numeric>
                    {r.attempts ?? "—"}
                  </Text>
                </IndexTable.Cell>
              </IndexTable.Row>
            ))}
          </IndexTable>
        </Card>
      </BlockStack>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Dead letters" error={useRouteError()} />;
}
