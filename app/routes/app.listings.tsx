/**
 * Store listings SyncFlow does not sync, with the reason (no Shopify variant with that SKU, a SKU used
 * twice in the store, no SKU) — the "Review SKU matches" step of onboarding. The merchant fixes the SKU
 * (the next linking run picks it up) or leaves a listing unsynced; "Sync again" undoes that and re-runs
 * the store's linking. Tabs: needs review (`?view=review`, default) and left unsynced (`?view=ignored`).
 */
import { useEffect } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useRouteError, useSearchParams } from "@remix-run/react";
import { Badge, BlockStack, Box, Card, IndexTable, Page, Tabs, Text, useIndexResourceState } from "@shopify/polaris";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { leaveUnsynced, listUnlinkedListings, syncAgain } from "../models/listings.server";
import { PageError } from "../components/PageStates";
import { TabPagination } from "../components/TabPagination";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Store listings to review" }];

/** `?view=review|ignored`, `?page=`. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const url = new URL(request.url);
  const view = url.searchParams.get("view") === "ignored" ? "ignored" : "review";
  const page = Number.parseInt(url.searchParams.get("page") ?? "1", 10) || 1;
  return json(await listUnlinkedListings(shop.id, { view, page }));
};

type ActionData = { ok: true; intent: string; changed: number } | { ok: false; error: string };

/** `intent=ignore|sync_again` with one or more `listingId` fields (this shop's listings only). */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  const ids = form.getAll("listingId").map(String).filter(Boolean).slice(0, 500);
  if (!["ignore", "sync_again"].includes(intent) || !ids.length) {
    return json<ActionData>(
      { ok: false, error: "Select at least one listing, then choose “Leave unsynced” or “Sync again”." },
      { status: 400 },
    );
  }
  const changed = intent === "ignore" ? await leaveUnsynced(shop.id, ids) : await syncAgain(shop.id, ids);
  return json<ActionData>({ ok: true, intent, changed });
};

const STATUS_LABEL: Record<string, string> = {
  unmatched: "No matching SKU",
  duplicate_sku: "Duplicate SKU",
  ambiguous_sku: "SKU differs only by case",
  no_sku: "No SKU",
  ignored: "Left unsynced",
};

export default function Listings() {
  const { rows, view, total, page, pageCount, reviewCount, ignoredCount } = useLoaderData<typeof loader>();
  const [, setSearchParams] = useSearchParams();
  const fetcher = useFetcher<ActionData>();
  const shopify = useAppBridge();
  const { selectedResources, allResourcesSelected, handleSelectionChange, clearSelection } =
    useIndexResourceState(rows);

  useEffect(() => {
    const d = fetcher.data;
    if (fetcher.state !== "idle" || !d) return;
    if (d.ok) {
      shopify.toast.show(
        d.intent === "ignore"
          ? `${d.changed} listing${d.changed === 1 ? "" : "s"} left unsynced`
          : `${d.changed} listing${d.changed === 1 ? "" : "s"} will be matched again`,
      );
      clearSelection();
    } else shopify.toast.show(d.error, { isError: true });
  }, [fetcher.state, fetcher.data, shopify, clearSelection]);

  const submit = (intent: "ignore" | "sync_again") => {
    const fd = new FormData();
    fd.set("intent", intent);
    for (const id of allResourcesSelected ? rows.map((r) => r.id) : selectedResources) fd.append("listingId", id);
    fetcher.submit(fd, { method: "post" });
  };

  const tabs = [
    { id: "review", content: `Needs review (${reviewCount})` },
    { id: "ignored", content: `Left unsynced (${ignoredCount})` },
  ];
  return (
    <Page
      title="Store listings to review"
      subtitle="Sales channel listings SyncFlow does not sync, and why"
      backAction={{ content: "Inventory", url: "/app/inventory" }}
    >
      <TitleBar title="Store listings to review" />
      <BlockStack gap="400">
        <Text as="p" tone="subdued">
          {view === "ignored"
            ? "SyncFlow never changes the stock of these listings. Select one and choose “Sync again” to match it by SKU once more."
            : "Give the listing the SKU of its Shopify variant (in its store or in Shopify): SyncFlow links it as soon as the store reports the change. Or select it and choose “Leave unsynced”."}
        </Text>
        <Tabs
          tabs={tabs}
          selected={view === "ignored" ? 1 : 0}
          onSelect={(i) => setSearchParams(i === 1 ? { view: "ignored" } : {})}
        />
        <Card padding="0">
          <IndexTable
            resourceName={{ singular: "listing", plural: "listings" }}
            itemCount={rows.length}
            selectedItemsCount={allResourcesSelected ? "All" : selectedResources.length}
            onSelectionChange={handleSelectionChange}
            loading={fetcher.state !== "idle"}
            headings={[
              { title: "Store" },
              { title: "SKU" },
              { title: "Title" },
              { title: "Status" },
              { title: "Why it is not synced" },
              { title: "Store quantity", alignment: "end" },
            ]}
            promotedBulkActions={
              view === "ignored"
                ? [{ content: "Sync again", onAction: () => submit("sync_again") }]
                : [{ content: "Leave unsynced", onAction: () => submit("ignore") }]
            }
            emptyState={
              <Box padding="600">
                <BlockStack gap="200" inlineAlign="center">
                  <Text as="p" variant="headingSm">
                    {view === "ignored"
                      ? "No listings left unsynced"
                      : "Every store listing is linked or left unsynced"}
                  </Text>
                  <Text as="p" tone="subdued">
                    {view === "ignored"
                      ? "Listings you leave unsynced appear here; SyncFlow never changes their stock."
                      : "Nothing to review. New store listings are matched by SKU when the store reports them."}
                  </Text>
                </BlockStack>
              </Box>
            }
          >
            {rows.map((r, i) => (
              <IndexTable.Row id={r.id} key={r.id} position={i} selected={selectedResources.includes(r.id)}>
                <IndexTable.Cell>
                  <BlockStack gap="050">
                    <Text as="span">{r.channelName}</Text>
                    <Text as="span" tone="subdued" variant="bodySm">
                      {r.channelLabel}
                    </Text>
                  </BlockStack>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <Text as="span" fontWeight="semibold">
                    {r.sku ?? "—"}
                  </Text>
                </IndexTable.Cell>
                <IndexTable.Cell>{r.title}</IndexTable.Cell>
                <IndexTable.Cell>
                  <Badge tone={r.status === "ignored" ? undefined : "attention"}>
                    {STATUS_LABEL[r.status] ?? r.status}
                  </Badge>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <Text as="span" tone="subdued">
                    {r.reason}
                  </Text>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <Text as="span" alignment="end" numeric>
                    {r.quantity ?? "—"}
                  </Text>
                </IndexTable.Cell>
              </IndexTable.Row>
            ))}
          </IndexTable>
        </Card>
        <TabPagination
          page={page}
          pageCount={pageCount}
          total={total}
          noun="listings"
          view={view}
          defaultView="review"
        />
      </BlockStack>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Store listings to review" error={useRouteError()} />;
}
