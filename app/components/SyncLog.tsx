/** Sync log table of the activity page: runs with status, duration and items per run, filterable in the URL. */
import { useNavigation, useSearchParams, useSubmit } from "@remix-run/react";
import { BlockStack, Box, Button, Card, IndexTable, InlineStack, Select, Text, TextField } from "@shopify/polaris";
import { RunStatusBadge, runKindLabel } from "./StatusBadges";
import type { RunView } from "../models/runs.server";
import { Time } from "./Time";
import { formatCount, formatDuration } from "./format";

/** A run row as the loader sends it (the type is erased at build time, so no server code reaches the client). */
export type SyncLogRow = Omit<RunView, "finishedAt">;

const KINDS = ["reconcile", "bulk_sync", "bulk_buffer", "bulk_link", "bulk_unlink", "link"];

/** The filter bar and table; filters submit as GET to /app/activity?tab=runs. */
export function SyncLog({
  rows,
  nextCursor,
  filter,
  firstPage,
  stores,
}: {
  rows: SyncLogRow[];
  nextCursor: string | null;
  filter: { kind: string; status: string; store: string; from: string; to: string };
  firstPage: boolean;
  stores: { id: string; name: string }[];
}) {
  const submit = useSubmit();
  const navigation = useNavigation();
  const [searchParams] = useSearchParams();
  const loading = navigation.state === "loading" && navigation.location.pathname === "/app/activity";
  const params = () => {
    const p = new URLSearchParams();
    p.set("tab", "runs");
    for (const k of ["kind", "status", "store", "from", "to"]) {
      const v = (typeof window === "undefined" ? searchParams : new URLSearchParams(window.location.search)).get(k);
      if (v) p.set(k, v);
    }
    return p;
  };
  const setParam = (k: string, v: string) => {
    const p = params();
    if (v) p.set(k, v);
    else p.delete(k);
    submit(p, { method: "get", action: "/app/activity", replace: true });
  };
  const any = Boolean(filter.kind || filter.status || filter.store || filter.from || filter.to);
  return (
    <Card padding="0">
      <Box padding="300">
        <InlineStack gap="300" blockAlign="end" wrap>
          <Box minWidth="180px">
            <Select
              label="Kind"
              value={filter.kind}
              onChange={(v) => setParam("kind", v)}
              options={[{ label: "All kinds", value: "" }, ...KINDS.map((k) => ({ label: runKindLabel(k), value: k }))]}
            />
          </Box>
          <Box minWidth="150px">
            <Select
              label="Status"
              value={filter.status}
              onChange={(v) => setParam("status", v)}
              options={[
                { label: "Any status", value: "" },
                { label: "Running", value: "running" },
                { label: "Succeeded", value: "succeeded" },
                { label: "Failed", value: "failed" },
              ]}
            />
          </Box>
          <Box minWidth="170px">
            <Select
              label="Store"
              value={filter.store}
              onChange={(v) => setParam("store", v)}
              options={[{ label: "All stores", value: "" }, ...stores.map((s) => ({ label: s.name, value: s.id }))]}
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
        </InlineStack>
      </Box>
      <IndexTable
        resourceName={{ singular: "run", plural: "runs" }}
        itemCount={rows.length}
        selectable={false}
        loading={loading}
        headings={[
          { title: "Started" },
          { title: "Kind" },
          { title: "Store" },
          { title: "Status" },
          { title: "Items", alignment: "end" },
          { title: "Changed", alignment: "end" },
          { title: "Duration", alignment: "end" },
          { title: "Items / s", alignment: "end" },
          { title: "Details" },
        ]}
        emptyState={
          <Box padding="600">
            <BlockStack gap="200" inlineAlign="center">
              <Text as="p" variant="headingSm">
                {any ? "No runs match these filters" : "No sync runs yet"}
              </Text>
              <Text as="p" tone="subdued">
                {any
                  ? "Clear a filter or widen the dates."
                  : "Reconciliations and bulk actions appear here. Run one from Settings → Reconcile now."}
              </Text>
            </BlockStack>
          </Box>
        }
      >
        {rows.map((r, i) => (
          <IndexTable.Row id={r.id} key={r.id} position={i}>
            <IndexTable.Cell>
              <Time value={r.startedAt} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              {runKindLabel(r.kind, r.dryRun)}
              <Text as="span" tone="subdued" variant="bodySm">
                {` · ${r.trigger}`}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>{r.store ?? "All stores"}</IndexTable.Cell>
            <IndexTable.Cell>
              <RunStatusBadge status={r.status} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" alignment="end" numeric>
                {formatCount(r.processed)} / {formatCount(r.total)}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" alignment="end" numeric>
                {formatCount(r.changed)}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" alignment="end" numeric>
                {formatDuration(r.durationMs)}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" alignment="end" numeric>
                {r.itemsPerSecond ?? "—"}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" variant="bodySm" tone={r.error ? "critical" : "subdued"} breakWord>
                {r.error ??
                  `${r.conflicts ? `${r.conflicts} conflicts · ` : ""}${r.errors ? `${r.errors} errors` : ""}`}
              </Text>
            </IndexTable.Cell>
          </IndexTable.Row>
        ))}
      </IndexTable>
      {(!firstPage || nextCursor) && (
        <Box padding="300" borderBlockStartWidth="025" borderColor="border">
          <InlineStack align="end" gap="200">
            {!firstPage && <Button url={`/app/activity?${params().toString()}`}>Newest</Button>}
            {nextCursor && (
              <Button url={`/app/activity?${params().toString()}&cursor=${nextCursor}`}>Older runs</Button>
            )}
          </InlineStack>
        </Box>
      )}
    </Card>
  );
}
