/**
 * Conflicts: differences reconciliation could not explain (or negative stock). Each open conflict shows
 * the record, the expected and the store's value side by side with the item's recent ledger, and is
 * resolved with "use Shopify", "use store" or a typed quantity. Resolved conflicts stay in History.
 */
import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useFetcher, useLoaderData, useRouteError, useSearchParams } from "@remix-run/react";
import {
  Badge,
  BlockStack,
  Box,
  Button,
  Card,
  ChoiceList,
  IndexTable,
  InlineGrid,
  InlineStack,
  Page,
  Tabs,
  Text,
  TextField,
} from "@shopify/polaris";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { listConflicts, type ConflictView } from "../models/conflicts.server";
import { resolveConflict, ConflictError } from "../sync/reconcile/conflicts.server";
import { ModeBadge } from "../components/StatusBadges";
import { Time } from "../components/Time";
import { formatDelta } from "../components/format";
import { CAUSE_LABEL } from "../lib/page-constants";
import { PageError } from "../components/PageStates";
import { TabPagination } from "../components/TabPagination";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Conflicts" }];

/** Open conflicts (`?view=open`, default) or history (`?view=history`), `?page=`. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const url = new URL(request.url);
  const view = url.searchParams.get("view") === "history" ? "history" : "open";
  const page = Number.parseInt(url.searchParams.get("page") ?? "1", 10) || 1;
  return json({ view, ...(await listConflicts(shop.id, { view, page })) });
};

type ActionData =
  { ok: true; conflictId: string; appliedQuantity: number } | { ok: false; conflictId: string; error: string };

/** `intent=resolve`: conflictId, resolution (use_shopify | use_store | typed), quantity (typed). */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, session } = await requireShop(request);
  const form = await request.formData();
  const conflictId = String(form.get("conflictId") ?? "");
  const resolution = String(form.get("resolution") ?? "");
  if (form.get("intent") !== "resolve" || !["use_shopify", "use_store", "typed"].includes(resolution)) {
    return json<ActionData>(
      { ok: false, conflictId, error: "Choose “Use Shopify”, “Use store” or type a quantity." },
      { status: 400 },
    );
  }
  const rawQty = String(form.get("quantity") ?? "").trim();
  const quantity = resolution === "typed" ? Number(rawQty) : undefined;
  if (resolution === "typed" && (rawQty === "" || !Number.isInteger(quantity) || quantity! < 0)) {
    return json<ActionData>(
      { ok: false, conflictId, error: "Type a whole number of units, 0 or more." },
      { status: 400 },
    );
  }
  try {
    const r = await resolveConflict(shop.id, conflictId, {
      resolution: resolution as "use_shopify" | "use_store" | "typed",
      quantity,
      actor: session.shop,
    });
    return json<ActionData>({ ok: true, conflictId, appliedQuantity: r.appliedQuantity });
  } catch (err) {
    if (err instanceof ConflictError)
      return json<ActionData>({ ok: false, conflictId, error: err.message }, { status: 400 });
    console.error("resolveConflict failed", err);
    return json<ActionData>(
      {
        ok: false,
        conflictId,
        error: `The store or Shopify could not be updated (${(err as Error).message}). Nothing was changed; check the store is reachable and try again.`,
      },
      { status: 502 },
    );
  }
};

const KIND_LABEL: Record<string, string> = {
  store_drift: "Store changed outside SyncFlow",
  store_edit: "Stock edited on the store",
  negative_stock: "Negative stock",
  unmatched_sale: "Sale of an unlinked listing",
};
const RESOLUTION_LABEL: Record<string, string> = {
  use_shopify: "Used Shopify",
  use_store: "Used store",
  typed: "Typed value",
};

export default function Conflicts() {
  const { view, conflicts, total, openCount, page, pageCount } = useLoaderData<typeof loader>();
  const [, setSearchParams] = useSearchParams();
  const tabs = [
    { id: "open", content: `Open (${openCount})` },
    { id: "history", content: "History" },
  ];
  return (
    <Page title="Conflicts" subtitle="Differences SyncFlow will not settle on its own">
      <TitleBar title="Conflicts" />
      <BlockStack gap="400">
        <Tabs
          tabs={tabs}
          selected={view === "history" ? 1 : 0}
          onSelect={(i) => setSearchParams(i === 1 ? { view: "history" } : {})}
        />
        {view === "open" ? (
          conflicts.length === 0 ? (
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  No open conflicts
                </Text>
                <Text as="p" tone="subdued">
                  Every store matches what Shopify implies. Stores with the “review” policy raise a conflict here when
                  someone edits stock outside SyncFlow.
                </Text>
              </BlockStack>
            </Card>
          ) : (
            conflicts.map((c) => <ConflictCard key={c.id} c={c} />)
          )
        ) : (
          <Card padding="0">
            <IndexTable
              resourceName={{ singular: "conflict", plural: "conflicts" }}
              itemCount={conflicts.length}
              selectable={false}
              headings={[
                { title: "SKU" },
                { title: "Store" },
                { title: "Kind" },
                { title: "Record / expected / store" },
                { title: "Resolution" },
                { title: "By" },
                { title: "Resolved" },
              ]}
              emptyState={
                <Box padding="600">
                  <Text as="p" alignment="center" tone="subdued">
                    No resolved conflicts yet.
                  </Text>
                </Box>
              }
            >
              {conflicts.map((c, i) => (
                <IndexTable.Row id={c.id} key={c.id} position={i}>
                  <IndexTable.Cell>
                    <Link to={`/app/items/${c.itemId}`}>{c.sku}</Link>
                  </IndexTable.Cell>
                  <IndexTable.Cell>{c.store}</IndexTable.Cell>
                  <IndexTable.Cell>{KIND_LABEL[c.kind] ?? c.kind}</IndexTable.Cell>
                  <IndexTable.Cell>
                    <Text as="span" numeric>
                      {c.recordQuantity ?? "—"} / {c.expectedQuantity ?? "—"} / {c.storeQuantity ?? "—"}
                    </Text>
                  </IndexTable.Cell>
                  <IndexTable.Cell>
                    <Badge
                      tone={c.status === "resolved" ? "success" : undefined}
                    >{`${RESOLUTION_LABEL[c.resolution ?? ""] ?? c.status} → ${c.resolvedQuantity ?? "—"}`}</Badge>
                  </IndexTable.Cell>
                  <IndexTable.Cell>{c.resolvedBy ?? "—"}</IndexTable.Cell>
                  <IndexTable.Cell>
                    <Time value={c.resolvedAt} />
                  </IndexTable.Cell>
                </IndexTable.Row>
              ))}
            </IndexTable>
          </Card>
        )}
        <TabPagination
          page={page}
          pageCount={pageCount}
          total={total}
          noun="conflicts"
          view={view}
          defaultView="open"
        />
      </BlockStack>
    </Page>
  );
}

function ConflictCard({ c }: { c: Omit<ConflictView, "detail"> }) {
  const fetcher = useFetcher<ActionData>();
  const shopify = useAppBridge();
  const [choice, setChoice] = useState<string[]>(["use_shopify"]);
  const [qty, setQty] = useState(String(c.expectedQuantity ?? ""));
  const result = fetcher.data?.conflictId === c.id ? fetcher.data : undefined;
  useEffect(() => {
    if (fetcher.state === "idle" && result?.ok)
      shopify.toast.show(`Conflict on ${c.sku} resolved: ${c.store} now shows ${result.appliedQuantity}`);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fetcher.state, result]);
  const headingId = `conflict-${c.id}`;
  return (
    <Card>
      <BlockStack gap="400">
        <InlineStack align="space-between" blockAlign="center">
          <BlockStack gap="050">
            <Text as="h2" variant="headingMd" id={headingId}>
              <Link to={`/app/items/${c.itemId}`}>{c.sku}</Link> at {c.store}
            </Text>
            <Text as="p" tone="subdued">
              {c.title} · {KIND_LABEL[c.kind] ?? c.kind} · raised <Time value={c.createdAt} />
            </Text>
          </BlockStack>
          <ModeBadge mode={c.storeMode} />
        </InlineStack>
        <InlineGrid columns={3} gap="300">
          <Value label="Shopify (record)" value={c.recordQuantity} hint="Available at the store's feed locations" />
          <Value
            label="Expected at store"
            value={c.expectedQuantity}
            hint="What the record implies, after buffer and pending sales"
          />
          <Value label={`${c.store} shows`} value={c.storeQuantity} hint="Read from the store" tone="critical" />
        </InlineGrid>
        {c.context.length > 0 && (
          <BlockStack gap="100">
            <Text as="h3" variant="headingSm">
              Recent changes
            </Text>
            <ul style={{ margin: 0, paddingInlineStart: 18 }}>
              {c.context.map((l) => (
                <li key={l.id}>
                  <Text as="span" variant="bodySm">
                    <Time value={l.createdAt} /> · {CAUSE_LABEL[l.cause] ?? l.cause} {formatDelta(l.delta)} (
                    {l.before ?? "—"} → {l.after ?? "—"}) by {l.actor}
                    {l.note ? ` — ${l.note}` : ""}
                  </Text>
                </li>
              ))}
            </ul>
          </BlockStack>
        )}
        <fetcher.Form method="post" aria-labelledby={headingId}>
          <input type="hidden" name="intent" value="resolve" />
          <input type="hidden" name="conflictId" value={c.id} />
          <input type="hidden" name="resolution" value={choice[0]} />
          <BlockStack gap="300">
            <ChoiceList
              title="Resolve with"
              choices={[
                { label: `Use Shopify (${c.expectedQuantity ?? "—"} at the store)`, value: "use_shopify" },
                { label: `Use store (${c.storeQuantity ?? "—"}; Shopify is adjusted)`, value: "use_store" },
                {
                  label: "Type a quantity",
                  value: "typed",
                  renderChildren: (selected) =>
                    selected && (
                      <Box maxWidth="160px">
                        <TextField
                          label="Quantity"
                          name="quantity"
                          type="number"
                          min={0}
                          value={qty}
                          onChange={setQty}
                          autoComplete="off"
                        />
                      </Box>
                    ),
                },
              ]}
              selected={choice}
              onChange={setChoice}
            />
            {result && !result.ok && (
              <div role="alert">
                <Text as="p" tone="critical">
                  {result.error}
                </Text>
              </div>
            )}
            <InlineStack>
              <Button
                submit
                variant="primary"
                loading={fetcher.state !== "idle"}
                accessibilityLabel={`Resolve conflict on ${c.sku} at ${c.store}`}
              >
                Resolve
              </Button>
            </InlineStack>
          </BlockStack>
        </fetcher.Form>
      </BlockStack>
    </Card>
  );
}

function Value({ label, value, hint, tone }: { label: string; value: number | null; hint: string; tone?: "critical" }) {
  return (
    <Box background="bg-surface-secondary" padding="300" borderRadius="200">
      <BlockStack gap="100">
        <Text as="span" variant="bodySm" tone="subdued">
          {label}
        </Text>
        <Text as="span" variant="headingLg" numeric tone={tone}>
          {value ?? "—"}
        </Text>
        <Text as="span" variant="bodySm" tone="subdued">
          {hint}
        </Text>
      </BlockStack>
    </Box>
  );
}

export function ErrorBoundary() {
  return <PageError title="Conflicts" error={useRouteError()} />;
}
