/**
 * Inventory: one row per catalog item with Shopify's available stock and each WooCommerce store's observed
 * quantity and match status. Server-side search (`?q=`, SKU or title) and pagination (`?page=`, 50 per page).
 */
import { useEffect, useRef, useState, type ComponentProps } from "react";
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useLoaderData, useNavigation, useRouteError, useSubmit } from "@remix-run/react";
import { Badge, BlockStack, Box, Card, IndexTable, InlineStack, Page, Pagination, Text, TextField } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { getInventoryPage, parseInventoryParams } from "../models/inventory.server";
import { MatchBadge } from "../components/StatusBadges";
import { Time } from "../components/Time";
import { formatCount } from "../components/format";
import { INVENTORY_PAGE_SIZE } from "../components/constants";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Inventory" }];

/** A page of the session shop's catalog (`?q=` search, `?page=` 1-based). */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const { q, page } = parseInventoryParams(new URL(request.url));
  return json(await getInventoryPage(shop.id, { q, page }));
};

function pageUrl(q: string, page: number): string {
  const p = new URLSearchParams();
  if (q) p.set("q", q);
  if (page > 1) p.set("page", String(page));
  const s = p.toString();
  return `/app/inventory${s ? `?${s}` : ""}`;
}

export default function Inventory() {
  const { rows, stores, total, page, pageCount, q } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const submit = useSubmit();
  const [query, setQuery] = useState(q);
  const formRef = useRef<HTMLFormElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => setQuery(q), [q]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const loading = navigation.state === "loading" && navigation.location.pathname === "/app/inventory";

  const onQueryChange = (value: string) => {
    setQuery(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      if (formRef.current) submit(formRef.current, { replace: true });
    }, 350);
  };

  const headings = [
    { title: "SKU" },
    { title: "Title" },
    { title: "Shopify available", alignment: "end" },
    ...stores.map((s) => ({ title: s.name })),
    { title: "Last sync" },
  ] as ComponentProps<typeof IndexTable>["headings"];

  const from = total === 0 ? 0 : (page - 1) * INVENTORY_PAGE_SIZE + 1;
  const to = Math.min(page * INVENTORY_PAGE_SIZE, total);

  return (
    <Page title="Inventory" subtitle="Shopify is the record; each store shows the quantity SyncFlow last saw there" fullWidth>
      <TitleBar title="Inventory" />
      <Card padding="0">
        <Box padding="300">
          <Form method="get" ref={formRef} role="search" aria-label="Search inventory" onSubmit={() => clearTimeout(timer.current)}>
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
        </Box>
        <IndexTable
          resourceName={{ singular: "SKU", plural: "SKUs" }}
          itemCount={rows.length}
          selectable={false}
          loading={loading}
          headings={headings}
          emptyState={
            <Box padding="600">
              <BlockStack gap="200" inlineAlign="center">
                <Text as="p" variant="headingSm">
                  {q ? `No SKU or title matches “${q}”` : "No catalog items yet"}
                </Text>
                <Text as="p" tone="subdued">
                  {q
                    ? "Check the spelling or search for part of the SKU."
                    : "SyncFlow lists your Shopify SKUs here after its first catalog read. Connect a WooCommerce store on the Channels page to link listings."}
                </Text>
              </BlockStack>
            </Box>
          }
        >
          {rows.map((r, i) => (
            <IndexTable.Row id={r.id} key={r.id} position={i}>
              <IndexTable.Cell>
                <Text as="span" fontWeight="semibold">
                  {r.sku}
                </Text>
              </IndexTable.Cell>
              <IndexTable.Cell>
                <InlineStack gap="100" blockAlign="center">
                  <Text as="span">{r.title}</Text>
                  {!r.tracked && <Badge>Not tracked</Badge>}
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
                        {cell.feedAvailable === null ? "No Shopify feed level" : `Feed: ${formatCount(cell.feedAvailable)} in Shopify`}
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
            <Text as="p" tone="subdued">
              {total === 0 ? "0 SKUs" : `${formatCount(from)}–${formatCount(to)} of ${formatCount(total)} SKUs`}
            </Text>
            <Pagination
              hasPrevious={page > 1}
              previousURL={page > 1 ? pageUrl(q, page - 1) : undefined}
              hasNext={page < pageCount}
              nextURL={page < pageCount ? pageUrl(q, page + 1) : undefined}
              label={`Page ${page} of ${pageCount}`}
              accessibilityLabels={{ previous: "Previous page", next: "Next page" }}
            />
          </InlineStack>
        </Box>
      </Card>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Inventory" error={useRouteError()} />;
}
