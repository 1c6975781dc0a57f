/**
 * Inventory: one row per catalog item with Shopify's available stock and each sales channel's observed
 * quantity, match status and last sync. Server-side search (`?q=`), filters (`?store=`, `?match=`,
 * `?low=1`, `?conflict=1`, `?mode=`), sorting (`?sort=`) and pagination (`?page=`, 50 per page), all in
 * the URL. Bulk actions (sync now, set buffer, link, unlink) run as background jobs with a progress bar.
 */
import { useCallback, useEffect, useRef, useState, type ComponentProps } from "react";
import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import {
  Form,
  Link,
  useFetcher,
  useLoaderData,
  useNavigation,
  useRevalidator,
  useRouteError,
  useSearchParams,
  useSubmit,
} from "@remix-run/react";
import {
  Badge,
  BlockStack,
  Box,
  Button,
  Card,
  Checkbox,
  IndexTable,
  InlineStack,
  Page,
  Pagination,
  Select,
  Text,
  TextField,
  useIndexResourceState,
} from "@shopify/polaris";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { requireShop } from "../models/shop.server";
import { getInventoryPage, parseInventoryParams, type InventoryFilter } from "../models/inventory.server";
import { startBulkAction, type BulkAction } from "../jobs/bulk.server";
import { MatchBadge, ModeBadge } from "../components/StatusBadges";
import { Time } from "../components/Time";
import { formatCount } from "../components/format";
import { INVENTORY_PAGE_SIZE, INVENTORY_SORTS } from "../lib/page-constants";
import { PageError } from "../components/PageStates";
import { RunProgress, type RunProgressView } from "../components/RunProgress";
import { downloadFile } from "../components/download";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Inventory" }];

/** A page of the session shop's catalog (search, filters, sort, page from the URL). Reports its time in `Server-Timing`. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const t0 = performance.now();
  const { shop } = await requireShop(request);
  const params = parseInventoryParams(new URL(request.url));
  const data = await getInventoryPage(shop.id, { ...params, lowStockThreshold: shop.lowStockThreshold });
  const ms = performance.now() - t0;
  return json(
    {
      ...data,
      filter: {
        store: params.store ?? "",
        match: params.match ?? "",
        low: params.low ?? false,
        conflict: params.conflict ?? false,
        mode: params.mode ?? "",
        sort: params.sort,
      },
    },
    { headers: { "Server-Timing": `loader;desc="inventory loader";dur=${ms.toFixed(1)}` } },
  );
};

/** Shopify's embedded-app headers (as the parent route sets them) plus the loader's `Server-Timing`. */
export const headers: HeadersFunction = (args) => {
  const h = new Headers(boundary.headers(args));
  const st = args.loaderHeaders.get("Server-Timing");
  if (st) h.set("Server-Timing", st);
  return h;
};

type ActionData = { ok: true; runId: string } | { ok: false; error: string };

/** `intent=bulk`: queue a bulk action for the selected items (or every item matching the filter). */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, session } = await requireShop(request);
  const form = await request.formData();
  if (form.get("intent") !== "bulk") return json<ActionData>({ ok: false, error: "Unknown action." }, { status: 400 });
  const act = String(form.get("action") ?? "") as BulkAction;
  if (!["sync", "buffer", "link", "unlink"].includes(act))
    return json<ActionData>({ ok: false, error: "Choose sync, set buffer, link or unlink." }, { status: 400 });
  const store = String(form.get("store") ?? "");
  const all = form.get("all") === "1";
  let itemIds: string[] | null = null;
  if (!all) {
    try {
      itemIds = (JSON.parse(String(form.get("itemIds") ?? "[]")) as unknown[]).map(String).slice(0, 10_000);
    } catch {
      return json<ActionData>(
        { ok: false, error: "The selection could not be read. Select the SKUs again." },
        { status: 400 },
      );
    }
    if (!itemIds.length) return json<ActionData>({ ok: false, error: "Select at least one SKU." }, { status: 400 });
  }
  let buffer: { units: number; percent: number } | undefined;
  if (act === "buffer") {
    const units = Number(form.get("bufferUnits") ?? 0);
    const percent = Number(form.get("bufferPercent") ?? 0);
    if (!Number.isInteger(units) || units < 0 || !Number.isInteger(percent) || percent < 0 || percent > 100) {
      return json<ActionData>(
        { ok: false, error: "Buffer units must be a whole number ≥ 0 and percent between 0 and 100." },
        { status: 400 },
      );
    }
    buffer = { units, percent };
  }
  const filter: InventoryFilter = parseInventoryParams(new URL(`http://x/?${String(form.get("filter") ?? "")}`));
  const runId = await startBulkAction({
    shopId: shop.id,
    action: act,
    channelIds: store ? [store] : [],
    itemIds,
    filter,
    buffer,
    actor: session.shop,
  });
  return json<ActionData>({ ok: true, runId });
};

const MATCH_OPTIONS = [
  { label: "Any mapping", value: "" },
  { label: "Linked", value: "linked" },
  { label: "Needs attention (unmatched, duplicate, no SKU)", value: "needs_attention" },
  { label: "Unmatched", value: "unmatched" },
  { label: "Stock not managed", value: "not_stocked" },
  { label: "Not listed", value: "not_listed" },
];
const SORT_LABELS: Record<(typeof INVENTORY_SORTS)[number], string> = {
  sku: "SKU A–Z",
  "-sku": "SKU Z–A",
  title: "Title A–Z",
  "-title": "Title Z–A",
  updated: "Least recently updated",
  "-updated": "Recently updated",
};
const BULK_LABEL: Record<BulkAction, string> = {
  sync: "Sync now",
  buffer: "Set buffer",
  link: "Link listings",
  unlink: "Unlink listings",
};

export default function Inventory() {
  const { rows, stores, total, page, pageCount, q, filter, conflictItemIds } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const submit = useSubmit();
  const [searchParams] = useSearchParams();
  const shopify = useAppBridge();
  const revalidator = useRevalidator();
  const bulk = useFetcher<ActionData>();
  const [query, setQuery] = useState(q);
  const [pending, setPending] = useState<BulkAction | null>(null);
  const [bulkStore, setBulkStore] = useState("");
  const [units, setUnits] = useState("0");
  const [percent, setPercent] = useState("0");
  const [runId, setRunId] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => setQuery(q), [q]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const loading = navigation.state === "loading" && navigation.location.pathname === "/app/inventory";
  const conflicts = new Set(conflictItemIds);

  const { selectedResources, allResourcesSelected, handleSelectionChange, clearSelection } = useIndexResourceState(
    rows as unknown as { id: string }[],
  );
  const selectedCount = allResourcesSelected ? total : selectedResources.length;

  useEffect(() => {
    const d = bulk.data;
    if (bulk.state !== "idle" || !d) return;
    if (d.ok) setRunId(d.runId);
    else shopify.toast.show(d.error, { isError: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [bulk.state, bulk.data]);

  const onRunDone = useCallback(
    (run: RunProgressView) => {
      shopify.toast.show(
        run.status === "succeeded"
          ? `${BULK_LABEL[kindToAction(run.kind)]}: ${formatCount(run.processed)} SKUs done`
          : `Bulk action failed: ${run.error ?? "see the activity log"}`,
        {
          isError: run.status !== "succeeded",
        },
      );
      clearSelection();
      revalidator.revalidate();
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );

  const onQueryChange = (value: string) => {
    setQuery(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      if (formRef.current) submit(formRef.current, { replace: true });
    }, 350);
  };
  const setParam = (key: string, value: string) => {
    const p = new URLSearchParams(window.location.search);
    for (const k of ["embedded", "shop", "host", "id_token", "hmac", "session", "timestamp", "locale"]) p.delete(k);
    if (value) p.set(key, value);
    else p.delete(key);
    p.delete("page");
    submit(p, { method: "get", action: "/app/inventory", replace: true });
  };
  const pageUrl = (n: number) => {
    const p = new URLSearchParams(searchParams);
    for (const k of ["embedded", "shop", "host", "id_token", "hmac", "session", "timestamp", "locale"]) p.delete(k);
    if (n > 1) p.set("page", String(n));
    else p.delete("page");
    const s = p.toString();
    return `/app/inventory${s ? `?${s}` : ""}`;
  };

  const startBulk = () => {
    if (!pending) return;
    const p = new URLSearchParams(window.location.search);
    const fd: Record<string, string> = { intent: "bulk", action: pending, store: bulkStore, filter: p.toString() };
    if (allResourcesSelected) fd.all = "1";
    else fd.itemIds = JSON.stringify(selectedResources);
    if (pending === "buffer") {
      fd.bufferUnits = units;
      fd.bufferPercent = percent;
    }
    bulk.submit(fd, { method: "post", action: "/app/inventory" });
    setPending(null);
  };

  const headings = [
    { title: "SKU" },
    { title: "Title" },
    { title: "Shopify available", alignment: "end" },
    ...stores.map((s) => ({ title: `${s.name} (${s.kindLabel})` })),
    { title: "Last sync" },
  ] as ComponentProps<typeof IndexTable>["headings"];

  const from = total === 0 ? 0 : (page - 1) * INVENTORY_PAGE_SIZE + 1;
  const to = Math.min(page * INVENTORY_PAGE_SIZE, total);
  const anyFilter = Boolean(q || filter.store || filter.match || filter.low || filter.conflict || filter.mode);

  return (
    <Page
      title="Inventory"
      subtitle="Shopify is the record; each store shows the quantity SyncFlow last saw there"
      fullWidth
      secondaryActions={[
        {
          content: "Export CSV",
          onAction: () =>
            void downloadFile("/app/exports/inventory.csv", "inventory.csv").then(
              (n) => shopify.toast.show(`Downloaded ${n}`),
              (e: Error) => shopify.toast.show(e.message, { isError: true }),
            ),
        },
      ]}
    >
      <TitleBar title="Inventory" />
      <BlockStack gap="400">
        {runId && <RunProgress runId={runId} onDone={onRunDone} onDismiss={() => setRunId(null)} />}
        {pending && (
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                {BULK_LABEL[pending]} — {formatCount(selectedCount)} SKUs
              </Text>
              <InlineStack gap="300" blockAlign="end">
                <Box minWidth="220px">
                  <Select
                    label="Store"
                    value={bulkStore}
                    onChange={setBulkStore}
                    options={[
                      { label: "All sales channels", value: "" },
                      ...stores.map((s) => ({ label: s.name, value: s.id })),
                    ]}
                  />
                </Box>
                {pending === "buffer" && (
                  <>
                    <Box maxWidth="140px">
                      <TextField
                        label="Buffer units"
                        type="number"
                        min={0}
                        value={units}
                        onChange={setUnits}
                        autoComplete="off"
                        helpText="Held back per SKU"
                      />
                    </Box>
                    <Box maxWidth="140px">
                      <TextField
                        label="Buffer percent"
                        type="number"
                        min={0}
                        max={100}
                        value={percent}
                        onChange={setPercent}
                        autoComplete="off"
                        suffix="%"
                      />
                    </Box>
                  </>
                )}
              </InlineStack>
              <Text as="p" tone="subdued">
                {pending === "sync" && "Queues a stock push of the selected SKUs to the store(s) now."}
                {pending === "buffer" &&
                  "Sets the store's buffer (applies to every SKU of that store), then pushes the selected SKUs."}
                {pending === "link" && "Links each store listing whose SKU equals the Shopify SKU (ignoring case)."}
                {pending === "unlink" &&
                  "Stops syncing the selected SKUs to the store(s); their listings become unmatched."}
              </Text>
              <InlineStack gap="200">
                <Button variant="primary" onClick={startBulk} loading={bulk.state !== "idle"}>
                  {`Start: ${BULK_LABEL[pending]}`}
                </Button>
                <Button onClick={() => setPending(null)}>Cancel</Button>
              </InlineStack>
            </BlockStack>
          </Card>
        )}
        <Card padding="0">
          <Box padding="300">
            <BlockStack gap="300">
              <Form
                method="get"
                ref={formRef}
                role="search"
                aria-label="Search inventory"
                onSubmit={() => clearTimeout(timer.current)}
              >
                {(["store", "match", "mode"] as const).map((k) =>
                  filter[k] ? <input key={k} type="hidden" name={k} value={String(filter[k])} /> : null,
                )}
                {filter.sort !== "sku" && <input type="hidden" name="sort" value={filter.sort} />}
                {filter.low && <input type="hidden" name="low" value="1" />}
                {filter.conflict && <input type="hidden" name="conflict" value="1" />}
                <TextField
                  label="Search by SKU or title"
                  labelHidden
                  name="q"
                  value={query}
                  onChange={onQueryChange}
                  placeholder="Search by SKU or title"
                  autoComplete="off"
                  clearButton
                  onClearButtonClick={() => onQueryChange("")}
                  type="search"
                />
              </Form>
              <InlineStack gap="300" blockAlign="end" wrap>
                <Box minWidth="180px">
                  <Select
                    label="Store"
                    value={filter.store}
                    onChange={(v) => setParam("store", v)}
                    options={[
                      { label: "All stores", value: "" },
                      ...stores.map((s) => ({ label: s.name, value: s.id })),
                    ]}
                  />
                </Box>
                <Box minWidth="200px">
                  <Select
                    label="Mapping status"
                    value={filter.match}
                    onChange={(v) => setParam("match", v)}
                    options={MATCH_OPTIONS}
                  />
                </Box>
                <Box minWidth="150px">
                  <Select
                    label="Sync mode"
                    value={filter.mode}
                    onChange={(v) => setParam("mode", v)}
                    options={[
                      { label: "Exact or buffered", value: "" },
                      { label: "Exact", value: "exact" },
                      { label: "Buffered", value: "buffered" },
                    ]}
                  />
                </Box>
                <Box minWidth="180px">
                  <Select
                    label="Sort by"
                    value={filter.sort}
                    onChange={(v) => setParam("sort", v === "sku" ? "" : v)}
                    options={INVENTORY_SORTS.map((s) => ({ label: SORT_LABELS[s], value: s }))}
                  />
                </Box>
                <Checkbox label="Low stock" checked={filter.low} onChange={(v) => setParam("low", v ? "1" : "")} />
                <Checkbox
                  label="Has conflict"
                  checked={filter.conflict}
                  onChange={(v) => setParam("conflict", v ? "1" : "")}
                />
              </InlineStack>
            </BlockStack>
          </Box>
          <IndexTable
            resourceName={{ singular: "SKU", plural: "SKUs" }}
            itemCount={rows.length}
            selectedItemsCount={allResourcesSelected ? "All" : selectedResources.length}
            onSelectionChange={handleSelectionChange}
            hasMoreItems={total > rows.length}
            paginatedSelectAllActionText={`Select all ${formatCount(total)} matching SKUs`}
            loading={loading}
            headings={headings}
            promotedBulkActions={[
              { content: "Sync now", onAction: () => setPending("sync") },
              { content: "Set buffer", onAction: () => setPending("buffer") },
            ]}
            bulkActions={[
              { content: "Link listings", onAction: () => setPending("link") },
              { content: "Unlink listings", onAction: () => setPending("unlink") },
            ]}
            emptyState={
              <Box padding="600">
                <BlockStack gap="200" inlineAlign="center">
                  <Text as="p" variant="headingSm">
                    {q
                      ? `No SKU or title matches “${q}”`
                      : anyFilter
                        ? "No SKUs match these filters"
                        : "No catalog items yet"}
                  </Text>
                  <Text as="p" tone="subdued">
                    {q
                      ? "Check the spelling or search for part of the SKU."
                      : anyFilter
                        ? "Clear a filter to see more SKUs."
                        : "SyncFlow lists your Shopify SKUs here after its first catalog read. Connect a sales channel (a WooCommerce store or a retailer Shopify store) on the Channels page to link listings."}
                  </Text>
                </BlockStack>
              </Box>
            }
          >
            {rows.map((r, i) => (
              <IndexTable.Row id={r.id} key={r.id} position={i} selected={selectedResources.includes(r.id)}>
                <IndexTable.Cell>
                  <Link to={`/app/items/${r.id}`} data-primary-link onClick={(e) => e.stopPropagation()}>
                    <Text as="span" fontWeight="semibold">
                      {r.sku}
                    </Text>
                  </Link>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <InlineStack gap="100" blockAlign="center">
                    <Text as="span">{r.title}</Text>
                    {!r.tracked && <Badge>Not tracked</Badge>}
                    {conflicts.has(r.id) && <Badge tone="critical">Conflict</Badge>}
                  </InlineStack>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <Text as="span" alignment="end" numeric>
                    {r.shopifyAvailable === null ? "—" : formatCount(r.shopifyAvailable)}
                  </Text>
                </IndexTable.Cell>
                {stores.map((s) => {
                  const cell = r.stores[s.id]!;
                  return (
                    <IndexTable.Cell key={s.id}>
                      <BlockStack gap="050">
                        <InlineStack gap="100" blockAlign="center" wrap={false}>
                          <Text as="span" numeric fontWeight="semibold">
                            {cell.quantity === null ? "—" : formatCount(cell.quantity)}
                          </Text>
                          {cell.matchStatus !== "linked" && <MatchBadge status={cell.matchStatus} />}
                        </InlineStack>
                        <Text as="span" tone="subdued" variant="bodySm">
                          {s.allocationEnabled
                            ? cell.reserved === null
                              ? "Not reserved yet"
                              : `Reserved: ${formatCount(cell.reserved)} in Shopify safety stock`
                            : cell.feedAvailable === null
                              ? "No Shopify feed level"
                              : `Feed: ${formatCount(cell.feedAvailable)} in Shopify`}
                        </Text>
                        <Text as="span" tone="subdued" variant="bodySm">
                          <Time value={cell.lastWrittenAt ?? cell.lastObservedAt} never="Not synced yet" />
                        </Text>
                      </BlockStack>
                    </IndexTable.Cell>
                  );
                })}
                <IndexTable.Cell>
                  <Time value={r.lastSyncAt} />
                </IndexTable.Cell>
              </IndexTable.Row>
            ))}
          </IndexTable>
          <Box padding="300" borderBlockStartWidth="025" borderColor="border">
            <InlineStack align="space-between" blockAlign="center">
              <InlineStack gap="200" blockAlign="center">
                <Text as="p" tone="subdued">
                  {total === 0 ? "0 SKUs" : `${formatCount(from)}–${formatCount(to)} of ${formatCount(total)} SKUs`}
                </Text>
                {stores.map((s) => (
                  <InlineStack key={s.id} gap="100" blockAlign="center">
                    <Text as="span" variant="bodySm" tone="subdued">
                      {s.name}
                    </Text>
                    <ModeBadge mode={s.mode} />
                  </InlineStack>
                ))}
              </InlineStack>
              <Pagination
                hasPrevious={page > 1}
                previousURL={page > 1 ? pageUrl(page - 1) : undefined}
                hasNext={page < pageCount}
                nextURL={page < pageCount ? pageUrl(page + 1) : undefined}
                label={`Page ${page} of ${pageCount}`}
                accessibilityLabels={{ previous: "Previous page", next: "Next page" }}
              />
            </InlineStack>
          </Box>
        </Card>
      </BlockStack>
    </Page>
  );
}

function kindToAction(kind: string): BulkAction {
  return kind === "bulk_buffer" ? "buffer" : kind === "bulk_link" ? "link" : kind === "bulk_unlink" ? "unlink" : "sync";
}

export function ErrorBoundary() {
  return <PageError title="Inventory" error={useRouteError()} />;
}
