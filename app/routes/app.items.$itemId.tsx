/**
 * Item detail: Shopify quantities per location, each store's listing (quantity, mode, buffer, last
 * sync), the mapping editor (link a store listing / unlink), per-store price/title overrides (saved with the
 * App Bridge save bar, written to the store: app/models/overrides.server.ts), and the ledger timeline —
 * every change with its cause, before → after, who or what made it, and a link to the order it came from.
 */
import { useCallback, useEffect, useState } from "react";
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
  Form,
  FormLayout,
  InlineGrid,
  InlineStack,
  Layout,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { SaveBar, TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { getItemDetail, linkListing, unlinkListing } from "../models/item.server";
import { saveListingOverrides, TITLE_OVERRIDE_MAX, type OverrideErrors } from "../models/overrides.server";
import { startBulkAction } from "../jobs/bulk.server";
import { MatchBadge, ModeBadge } from "../components/StatusBadges";
import { Time } from "../components/Time";
import { formatCount, formatDelta } from "../components/format";
import { CAUSE_LABEL } from "../lib/page-constants";
import { PageError } from "../components/PageStates";
import { RunProgress } from "../components/RunProgress";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Item" }];

/** The item of the session shop (404 when it is not the shop's). */
export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const detail = await getItemDetail(shop.id, params.itemId ?? "");
  if (!detail)
    throw json(
      { message: "This SKU does not exist in your catalog. Go back to Inventory and search for it." },
      { status: 404 },
    );
  return json({ ...detail, titleMax: TITLE_OVERRIDE_MAX });
};

type OverrideDraft = { price: string; title: string };
type ActionData = {
  ok: boolean;
  message: string;
  runId?: string;
  overrides?: Record<string, { ok: boolean; message: string; errors?: OverrideErrors }>;
};

/** Parses the `overrides` payload: a JSON array of {listingId, price, title} (strings). */
function parseOverridePayload(raw: unknown): Array<{ listingId: string } & OverrideDraft> | null {
  try {
    const v: unknown = JSON.parse(String(raw ?? ""));
    if (!Array.isArray(v) || v.length === 0 || v.length > 50) return null;
    const out = v.map((x) => ({
      listingId: String(x?.listingId ?? ""),
      price: String(x?.price ?? ""),
      title: String(x?.title ?? ""),
    }));
    return out.every((x) => x.listingId) ? out : null;
  } catch {
    return null;
  }
}

/**
 * `intent=link` (listingId), `intent=unlink` (listingId), `intent=sync` (push this item to every store now),
 * `intent=overrides` (payload: JSON [{listingId, price, title}]; each saved and written to its store).
 */
export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { shop, session } = await requireShop(request);
  const form = await request.formData();
  const intent = form.get("intent");
  const itemId = params.itemId ?? "";
  if (intent === "link")
    return json<ActionData>(await linkListing(shop.id, itemId, String(form.get("listingId") ?? "")));
  if (intent === "unlink") return json<ActionData>(await unlinkListing(shop.id, String(form.get("listingId") ?? "")));
  if (intent === "overrides") {
    const rows = parseOverridePayload(form.get("payload"));
    if (!rows)
      return json<ActionData>(
        { ok: false, message: "Nothing to save. Reload the page and try again." },
        { status: 400 },
      );
    const overrides: NonNullable<ActionData["overrides"]> = {};
    for (const r of rows)
      overrides[r.listingId] = await saveListingOverrides(shop.id, r.listingId, { price: r.price, title: r.title });
    const results = Object.values(overrides);
    const ok = results.every((r) => r.ok);
    const message =
      results.length === 1
        ? results[0]!.message
        : ok
          ? "Overrides saved"
          : results
              .filter((r) => !r.ok)
              .map((r) => r.message)
              .join(" ");
    return json<ActionData>({ ok, message, overrides }, { status: ok ? 200 : 400 });
  }
  if (intent === "sync") {
    const runId = await startBulkAction({
      shopId: shop.id,
      action: "sync",
      channelIds: [],
      itemIds: [itemId],
      actor: session.shop,
    });
    return json<ActionData>({ ok: true, message: "Sync queued", runId });
  }
  return json<ActionData>({ ok: false, message: "Unknown action." }, { status: 400 });
};

export default function ItemDetailPage() {
  const d = useLoaderData<typeof loader>();
  const fetcher = useFetcher<ActionData>();
  const shopify = useAppBridge();
  const [runId, setRunId] = useState<string | null>(null);
  useEffect(() => {
    if (fetcher.state !== "idle" || !fetcher.data) return;
    if (fetcher.data.runId) setRunId(fetcher.data.runId);
    else shopify.toast.show(fetcher.data.message, { isError: !fetcher.data.ok });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fetcher.state, fetcher.data]);

  // Overrides: unsaved edits per listing id (absent = shows what is saved). Saved ones leave `edits`.
  const save = useFetcher<ActionData>();
  const [edits, setEdits] = useState<Record<string, OverrideDraft>>({});
  const savedDraft = useCallback(
    (listingId: string): OverrideDraft => {
      const l = d.stores.find((s) => s.listing?.id === listingId)?.listing;
      return { price: l?.priceOverride ?? "", title: l?.titleOverride ?? "" };
    },
    [d.stores],
  );
  const setDraft = (listingId: string, patch: Partial<OverrideDraft>) =>
    setEdits((e) => {
      const next = { ...(e[listingId] ?? savedDraft(listingId)), ...patch };
      const saved = savedDraft(listingId);
      const rest = { ...e };
      delete rest[listingId];
      return next.price === saved.price && next.title === saved.title ? rest : { ...rest, [listingId]: next };
    });
  const dirty = Object.keys(edits).length > 0;
  const onSave = () =>
    save.submit(
      {
        intent: "overrides",
        payload: JSON.stringify(Object.entries(edits).map(([listingId, v]) => ({ listingId, ...v }))),
      },
      { method: "post" },
    );
  const onDiscard = () => setEdits({});
  useEffect(() => {
    if (save.state !== "idle" || !save.data) return;
    const results = save.data.overrides ?? {};
    setEdits((e) => Object.fromEntries(Object.entries(e).filter(([id]) => results[id] && !results[id]!.ok)));
    shopify.toast.show(save.data.message, { isError: !save.data.ok });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [save.state, save.data]);
  const overrideErrors = (listingId: string) =>
    edits[listingId] && save.state === "idle" ? save.data?.overrides?.[listingId]?.errors : undefined;
  const total = d.levels.reduce((s, l) => s + l.available, 0);

  return (
    <Page
      backAction={{ content: "Inventory", url: "/app/inventory" }}
      title={d.item.sku}
      subtitle={d.item.title}
      titleMetadata={
        d.openConflicts ? (
          <Badge tone="critical">{`${d.openConflicts} open conflict${d.openConflicts > 1 ? "s" : ""}`}</Badge>
        ) : undefined
      }
      primaryAction={{
        content: "Sync now",
        loading: fetcher.state !== "idle" && fetcher.formData?.get("intent") === "sync",
        onAction: () => fetcher.submit({ intent: "sync" }, { method: "post" }),
      }}
    >
      <TitleBar title={d.item.sku} />
      <SaveBar id="item-overrides-save-bar" open={dirty}>
        <button variant="primary" onClick={onSave} disabled={save.state !== "idle"}>
          Save
        </button>
        <button onClick={onDiscard} disabled={save.state !== "idle"}>
          Discard
        </button>
      </SaveBar>
      <BlockStack gap="400">
        {runId && <RunProgress runId={runId} onDismiss={() => setRunId(null)} />}
        <Layout>
          <Layout.Section variant="oneThird">
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Shopify (record)
                </Text>
                <Text as="p" variant="headingLg">
                  {formatCount(total)} available
                </Text>
                {d.levels.length === 0 ? (
                  <Text as="p" tone="subdued">
                    No Shopify level observed yet. SyncFlow reads it on the next reconciliation.
                  </Text>
                ) : (
                  <DataTable
                    columnContentTypes={["text", "numeric"]}
                    headings={["Location", "Available"]}
                    rows={d.levels.map((l) => [l.location, formatCount(l.available)])}
                  />
                )}
                {!d.item.tracked && <Badge tone="attention">Shopify does not track this SKU's inventory</Badge>}
              </BlockStack>
            </Card>
          </Layout.Section>
          <Layout.Section>
            <BlockStack gap="400">
              {d.stores.length === 0 && (
                <Card>
                  <Text as="p">No sales channel connected. Connect one on the Channels page to sync this SKU.</Text>
                </Card>
              )}
              <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
                {d.stores.map((s) => (
                  <StoreCard
                    key={s.channelId}
                    store={s}
                    fetcher={fetcher}
                    itemTitle={d.item.title}
                    titleMax={d.titleMax}
                    draft={s.listing ? (edits[s.listing.id] ?? savedDraft(s.listing.id)) : null}
                    errors={s.listing ? overrideErrors(s.listing.id) : undefined}
                    onDraft={(patch) => s.listing && setDraft(s.listing.id, patch)}
                    onSubmit={onSave}
                  />
                ))}
              </InlineGrid>
            </BlockStack>
          </Layout.Section>
        </Layout>
        <Card padding="0">
          <Box padding="400">
            <Text as="h2" variant="headingMd">
              Stock history
            </Text>
          </Box>
          {d.timeline.length === 0 ? (
            <Box padding="400">
              <Text as="p" tone="subdued">
                No stock change recorded for this SKU yet.
              </Text>
            </Box>
          ) : (
            <ol aria-label="Stock history" style={{ listStyle: "none", margin: 0, padding: 0 }}>
              {d.timeline.map((t) => (
                <li key={t.id}>
                  <Box paddingInline="400" paddingBlock="300" borderBlockStartWidth="025" borderColor="border">
                    <InlineStack align="space-between" blockAlign="start" gap="300">
                      <BlockStack gap="100">
                        <InlineStack gap="200" blockAlign="center">
                          <Badge>{CAUSE_LABEL[t.cause] ?? t.cause}</Badge>
                          <Text as="span" fontWeight="semibold" numeric>
                            {formatDelta(t.delta)}
                          </Text>
                          <Text as="span" numeric tone="subdued">
                            {t.before ?? "—"} → {t.after ?? "—"}
                          </Text>
                          <Text as="span" tone="subdued">
                            {t.store ? `at ${t.store}` : `in Shopify${t.location ? ` · ${t.location}` : ""}`}
                          </Text>
                        </InlineStack>
                        <Text as="p" variant="bodySm" tone="subdued">
                          By {t.actor}
                          {t.note ? ` · ${t.note}` : ""}
                          {t.orderId && (
                            <>
                              {" · "}
                              <Link to={`/app/orders/${t.orderId}`}>
                                {t.orderNumber ? `Order ${t.orderNumber}` : "View order"}
                              </Link>
                            </>
                          )}
                        </Text>
                      </BlockStack>
                      <Text as="span" variant="bodySm" tone="subdued">
                        <Time value={t.createdAt} />
                      </Text>
                    </InlineStack>
                  </Box>
                </li>
              ))}
            </ol>
          )}
        </Card>
      </BlockStack>
    </Page>
  );
}

type StoreView = ReturnType<typeof useLoaderData<typeof loader>>["stores"][number];

interface StoreCardProps {
  store: StoreView;
  fetcher: ReturnType<typeof useFetcher<ActionData>>;
  itemTitle: string;
  titleMax: number;
  /** Override form values (null when the store has no linked listing). */
  draft: OverrideDraft | null;
  errors?: OverrideErrors;
  onDraft: (patch: Partial<OverrideDraft>) => void;
  onSubmit: () => void;
}

function StoreCard({ store: s, fetcher, itemTitle, titleMax, draft, errors, onDraft, onSubmit }: StoreCardProps) {
  const [choice, setChoice] = useState(s.candidates[0]?.id ?? "");
  useEffect(() => setChoice(s.candidates[0]?.id ?? ""), [s.candidates]);
  return (
    <Card>
      <BlockStack gap="300">
        <InlineStack align="space-between" blockAlign="center">
          <BlockStack gap="050">
            <Text as="h2" variant="headingMd">
              {s.name}
            </Text>
            <Text as="p" variant="bodySm" tone="subdued">
              {s.kindLabel}
            </Text>
          </BlockStack>
          <ModeBadge mode={s.mode} />
        </InlineStack>
        {s.listing ? (
          <>
            <InlineStack gap="200" blockAlign="center">
              <Text as="p" variant="headingLg" numeric>
                {s.listing.quantity === null ? "—" : formatCount(s.listing.quantity)}
              </Text>
              <MatchBadge status={s.listing.matchStatus} />
            </InlineStack>
            <Text as="p" variant="bodySm" tone="subdued">
              Listing “{s.listing.title}” (#{s.listing.externalId}
              {s.listing.sku ? `, SKU ${s.listing.sku}` : ""})
            </Text>
            <Text as="p" variant="bodySm">
              Last seen <Time value={s.listing.lastObservedAt} /> · last written{" "}
              <Time value={s.listing.lastWrittenAt} />
            </Text>
          </>
        ) : (
          <Text as="p" tone="subdued">
            Not linked: SyncFlow does not sync this SKU to {s.name}.
          </Text>
        )}
        <Text as="p" variant="bodySm" tone="subdued">
          Fed by {s.feedLocations.length ? s.feedLocations.join(", ") : "no location yet (pick one in Settings)"}
          {s.mode === "buffered" || s.bufferUnits || s.bufferPercent
            ? ` · buffer ${s.bufferUnits} units + ${s.bufferPercent}%`
            : ""}
        </Text>
        {s.listing ? (
          <Box>
            <Button
              tone="critical"
              variant="secondary"
              onClick={() => fetcher.submit({ intent: "unlink", listingId: s.listing!.id }, { method: "post" })}
              accessibilityLabel={`Unlink from ${s.name}`}
            >
              Unlink
            </Button>
          </Box>
        ) : s.candidates.length ? (
          <InlineStack gap="200" blockAlign="end">
            <Box minWidth="220px">
              <Select
                label={`Listing at ${s.name}`}
                value={choice}
                onChange={setChoice}
                options={s.candidates.map((c) => ({ label: `${c.sku ?? "(no SKU)"} — ${c.title}`, value: c.id }))}
              />
            </Box>
            <Button
              onClick={() => fetcher.submit({ intent: "link", listingId: choice }, { method: "post" })}
              disabled={!choice}
              accessibilityLabel={`Link to ${s.name}`}
            >
              Link
            </Button>
          </InlineStack>
        ) : (
          <Text as="p" variant="bodySm" tone="subdued">
            No unlinked listing at this store. Create the product in {s.kindLabel} with this SKU, then run a
            reconciliation.
          </Text>
        )}
        {s.listing && draft && s.acceptsOverrides && (
          <OverridesForm
            store={s}
            listing={s.listing}
            itemTitle={itemTitle}
            titleMax={titleMax}
            draft={draft}
            errors={errors}
            onDraft={onDraft}
            onSubmit={onSubmit}
          />
        )}
      </BlockStack>
    </Card>
  );
}

/** Price/title override of one store's listing (saved through the page's save bar; Enter also saves). */
function OverridesForm({
  store: s,
  listing: l,
  itemTitle,
  titleMax,
  draft,
  errors,
  onDraft,
  onSubmit,
}: Omit<StoreCardProps, "fetcher" | "draft" | "store"> & {
  store: StoreView;
  listing: NonNullable<StoreView["listing"]>;
  draft: OverrideDraft;
}) {
  const overridden = [l.priceOverride !== null && `price ${l.priceOverride}`, l.titleOverride !== null && "title"]
    .filter(Boolean)
    .join(" and ");
  return (
    <Box borderBlockStartWidth="025" borderColor="border" paddingBlockStart="300">
      <Form onSubmit={onSubmit}>
        <BlockStack gap="200">
          <InlineStack gap="200" blockAlign="center">
            <Text as="h3" variant="headingSm">
              Store overrides
            </Text>
            {overridden ? <Badge tone="info">{`Overrides ${overridden}`}</Badge> : <Badge>No overrides</Badge>}
          </InlineStack>
          <FormLayout>
            <TextField
              label={`Price at ${s.name}`}
              autoComplete="off"
              inputMode="decimal"
              value={draft.price}
              onChange={(v) => onDraft({ price: v })}
              placeholder="Store's own price"
              error={errors?.price}
              helpText="The store's regular price. Empty: no override (the store keeps its current price; SyncFlow does not store Shopify's)."
            />
            <TextField
              label={`Title at ${s.name}`}
              autoComplete="off"
              value={draft.title}
              onChange={(v) => onDraft({ title: v })}
              placeholder={l.isVariation ? undefined : itemTitle}
              disabled={l.isVariation}
              maxLength={titleMax}
              error={errors?.title}
              helpText={
                l.isVariation
                  ? "This listing is a variation: the store names it after its parent product and attributes, so only its price can be overridden."
                  : `Leave empty to use the Shopify title (“${itemTitle}”).`
              }
            />
          </FormLayout>
        </BlockStack>
      </Form>
    </Box>
  );
}

export function ErrorBoundary() {
  return <PageError title="Item" error={useRouteError()} />;
}
