/**
 * Settings: per store the Shopify locations that feed it, its sales location, buffer, conflict policy and
 * low-stock threshold (sync mode shown); the reconciliation schedule and the shop's low-stock threshold;
 * "Reconcile now" (real or dry run). Unsaved changes raise App Bridge's save bar.
 * Notification settings live at /app/settings/notifications (notifications issue); order import and fulfilment
 * pushback per store at /app/settings/orders (issue 15).
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useRouteError } from "@remix-run/react";
import {
  BlockStack,
  Box,
  Button,
  Card,
  Checkbox,
  ChoiceList,
  FormLayout,
  InlineStack,
  Layout,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { SaveBar, TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { getSettings, saveSettings, type SettingsForm } from "../models/settings.server";
import { RECONCILE_CHOICES } from "../lib/page-constants";
import { enqueue, QUEUES } from "../jobs/queue.server";
import { ModeBadge } from "../components/StatusBadges";
import { Time } from "../components/Time";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Settings" }];

/** The session shop's settings. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  return json(await getSettings(shop.id));
};

type ActionData = { ok: true; message: string } | { ok: false; message: string; errors?: Record<string, string> };

/** `intent=save` (payload = JSON of SettingsForm) or `intent=reconcile` (dryRun = "1" | "0"). */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  const form = await request.formData();
  const intent = form.get("intent");
  if (intent === "save") {
    let payload: unknown;
    try {
      payload = JSON.parse(String(form.get("payload") ?? ""));
    } catch {
      return json<ActionData>(
        { ok: false, message: "The form could not be read. Reload the page and try again." },
        { status: 400 },
      );
    }
    const r = await saveSettings(shop.id, payload);
    return r.ok
      ? json<ActionData>({ ok: true, message: "Settings saved" })
      : json<ActionData>(
          { ok: false, message: "Fix the highlighted fields, then save.", errors: r.errors },
          { status: 422 },
        );
  }
  if (intent === "reconcile") {
    const dryRun = form.get("dryRun") === "1";
    try {
      await enqueue(
        QUEUES.reconcile,
        { shopId: shop.id, dryRun, trigger: "manual" },
        { singletonKey: `reconcile:manual:${shop.id}:${dryRun ? "dry" : "real"}` },
      );
    } catch (err) {
      console.error("enqueue reconcile failed", err);
      return json<ActionData>(
        { ok: false, message: "The job queue is unreachable. Try again in a minute." },
        { status: 503 },
      );
    }
    return json<ActionData>({
      ok: true,
      message: dryRun
        ? "Dry run queued — see Activity for what it would change"
        : "Reconciliation queued — see Activity for progress",
    });
  }
  return json<ActionData>({ ok: false, message: "Unknown action." }, { status: 400 });
};

const INTERVAL_LABEL = (m: number) =>
  m < 60 ? `Every ${m} minutes` : m === 60 ? "Every hour" : m === 1440 ? "Once a day" : `Every ${m / 60} hours`;

export default function Settings() {
  const { form: saved, stores, locations, lastReconcile } = useLoaderData<typeof loader>();
  const save = useFetcher<ActionData>();
  const reconcile = useFetcher<ActionData>();
  const shopify = useAppBridge();
  const [form, setForm] = useState<SettingsForm>(saved);
  useEffect(() => setForm(saved), [saved]);
  const dirty = useMemo(() => JSON.stringify(form) !== JSON.stringify(saved), [form, saved]);
  const errors = save.data && !save.data.ok ? (save.data.errors ?? {}) : {};

  useEffect(() => {
    if (save.state === "idle" && save.data) shopify.toast.show(save.data.message, { isError: !save.data.ok });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [save.state, save.data]);
  useEffect(() => {
    if (reconcile.state === "idle" && reconcile.data)
      shopify.toast.show(reconcile.data.message, { isError: !reconcile.data.ok });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [reconcile.state, reconcile.data]);

  const onSave = useCallback(
    () => save.submit({ intent: "save", payload: JSON.stringify(form) }, { method: "post" }),
    [form, save],
  );
  const onDiscard = useCallback(() => setForm(saved), [saved]);
  const setStore = (i: number, patch: Partial<SettingsForm["stores"][number]>) =>
    setForm((f) => ({ ...f, stores: f.stores.map((s, j) => (j === i ? { ...s, ...patch } : s)) }));
  const int = (v: string) => (v.trim() === "" ? NaN : Number(v));
  const locationOptions = locations.map((l) => ({ label: l.name, value: l.gid }));

  return (
    <Page
      title="Settings"
      primaryAction={{ content: "Save", onAction: onSave, disabled: !dirty, loading: save.state !== "idle" }}
      secondaryActions={[
        { content: "Notification settings", url: "/app/settings/notifications" },
        { content: "Orders hub settings", url: "/app/settings/orders" },
      ]}
    >
      <TitleBar title="Settings" />
      <SaveBar id="settings-save-bar" open={dirty}>
        <button variant="primary" onClick={onSave} disabled={save.state !== "idle"}>
          Save
        </button>
        <button onClick={onDiscard}>Discard</button>
      </SaveBar>
      <Layout>
        <Layout.AnnotatedSection
          id="sync"
          title="Sync"
          description="How often SyncFlow compares every store with Shopify, and when stock counts as low."
        >
          <Card>
            <BlockStack gap="400">
              <FormLayout>
                <FormLayout.Group>
                  <Select
                    label="Reconciliation schedule"
                    options={RECONCILE_CHOICES.map((m) => ({ label: INTERVAL_LABEL(m), value: String(m) }))}
                    value={String(form.reconcileEveryMin)}
                    onChange={(v) => setForm((f) => ({ ...f, reconcileEveryMin: Number(v) }))}
                    error={errors.reconcileEveryMin}
                  />
                  <TextField
                    label="Low-stock threshold (units)"
                    type="number"
                    min={0}
                    autoComplete="off"
                    value={Number.isNaN(form.lowStockThreshold) ? "" : String(form.lowStockThreshold)}
                    onChange={(v) => setForm((f) => ({ ...f, lowStockThreshold: int(v) }))}
                    error={errors.lowStockThreshold}
                    helpText="A SKU is low when Shopify's available (all locations) is at or below this."
                  />
                </FormLayout.Group>
              </FormLayout>
              <InlineStack gap="200" blockAlign="center">
                <Button
                  onClick={() => reconcile.submit({ intent: "reconcile", dryRun: "0" }, { method: "post" })}
                  loading={reconcile.state !== "idle" && reconcile.formData?.get("dryRun") === "0"}
                >
                  Reconcile now
                </Button>
                <Button
                  variant="plain"
                  onClick={() => reconcile.submit({ intent: "reconcile", dryRun: "1" }, { method: "post" })}
                >
                  Dry run (show changes only)
                </Button>
                <Text as="span" tone="subdued" variant="bodySm">
                  {lastReconcile ? (
                    <>
                      Last run <Time value={lastReconcile.startedAt} /> ({lastReconcile.status}
                      {lastReconcile.dryRun ? ", dry run" : ""})
                    </>
                  ) : (
                    "Never reconciled yet"
                  )}
                </Text>
              </InlineStack>
            </BlockStack>
          </Card>
        </Layout.AnnotatedSection>
        {stores.length === 0 ? (
          <Layout.AnnotatedSection
            id="stores"
            title="Stores"
            description="Connect a sales channel (a WooCommerce store or a retailer Shopify store) to configure it here."
          >
            <Card>
              <Text as="p">No sales channel connected yet. Create a connection code on the Channels page.</Text>
            </Card>
          </Layout.AnnotatedSection>
        ) : (
          stores.map((s, i) => {
            const f = form.stores[i]!;
            const err = (k: string) => errors[`stores.${i}.${k}`];
            return (
              <Layout.AnnotatedSection
                key={s.id}
                id={`store-${s.id}`}
                title={s.name}
                description={`${s.kindLabel} · ${s.baseUrl} — which Shopify stock this store sells, and how differences are settled.`}
              >
                <Card>
                  <BlockStack gap="400">
                    <InlineStack gap="200" blockAlign="center">
                      <Text as="span">Sync mode</Text>
                      <ModeBadge mode={s.mode} />
                      <Text as="span" tone="subdued" variant="bodySm">
                        {s.mode === "exact"
                          ? "Changes are applied with compare-and-set (the SyncFlow plugin on WooCommerce; Shopify itself on a retailer store)."
                          : "Quantities are set absolutely; keep a buffer against races."}
                      </Text>
                    </InlineStack>
                    <ChoiceList
                      allowMultiple
                      title="Locations feeding this store"
                      choices={locationOptions}
                      selected={f.feedLocationIds}
                      onChange={(v) => setStore(i, { feedLocationIds: v })}
                      error={err("feedLocationIds")}
                    />
                    <FormLayout>
                      <FormLayout.Group>
                        <Select
                          label="Sales location"
                          helpText="Where this store's sales are taken from in Shopify."
                          options={[{ label: "Pick a location", value: "" }, ...locationOptions]}
                          value={f.salesLocationId ?? ""}
                          onChange={(v) => setStore(i, { salesLocationId: v || null })}
                          error={err("salesLocationId")}
                        />
                        <Select
                          label="Conflict policy"
                          options={[
                            { label: "Shopify wins (correct the store)", value: "shopify_wins" },
                            { label: "Review (raise a conflict)", value: "review" },
                          ]}
                          value={f.conflictPolicy}
                          onChange={(v) => setStore(i, { conflictPolicy: v as "shopify_wins" | "review" })}
                        />
                      </FormLayout.Group>
                      {s.canAllocate ? (
                        <Checkbox
                          label="Reserve this store's stock in Shopify (exact allocations)"
                          helpText={
                            s.readThenSet
                              ? "Off: the marketplace shows Shopify's available stock minus its buffer; a sale there reaches SyncFlow only on the next poll, so Shopify can sell the same unit meanwhile. On: SyncFlow moves the marketplace's units into Shopify's safety stock so only the marketplace can sell them; each change reads the marketplace's quantity first and writes from it (a sale in the second between the two can be overwritten; the next change corrects it)."
                              : "Off: the store shows Shopify's available stock minus its buffer, kept exact by compare-and-set; two channels can still sell the last units within a few seconds of each other. On: SyncFlow moves this store's units into Shopify's safety stock so no two channels ever offer the same unit; the store may show fewer units than Shopify has until stock is rebalanced, and Shopify admin shows them as safety stock."
                          }
                          checked={f.allocationEnabled}
                          onChange={(v) => setStore(i, { allocationEnabled: v })}
                          error={err("allocationEnabled")}
                        />
                      ) : (
                        <Text as="p" tone="subdued" variant="bodySm">
                          Reserving stock for this store needs the SyncFlow plugin (exact mode). Until then it is
                          protected by its buffer only.
                        </Text>
                      )}
                      <FormLayout.Group condensed>
                        <TextField
                          label="Buffer units"
                          type="number"
                          min={0}
                          autoComplete="off"
                          value={Number.isNaN(f.bufferUnits) ? "" : String(f.bufferUnits)}
                          onChange={(v) => setStore(i, { bufferUnits: int(v) })}
                          error={err("bufferUnits")}
                        />
                        <TextField
                          label="Buffer percent"
                          type="number"
                          min={0}
                          max={100}
                          suffix="%"
                          autoComplete="off"
                          value={Number.isNaN(f.bufferPercent) ? "" : String(f.bufferPercent)}
                          onChange={(v) => setStore(i, { bufferPercent: int(v) })}
                          error={err("bufferPercent")}
                        />
                        <TextField
                          label="Low-stock threshold"
                          type="number"
                          min={0}
                          autoComplete="off"
                          placeholder={String(form.lowStockThreshold)}
                          helpText="Empty = the shop's"
                          value={
                            f.lowStockThreshold === null || Number.isNaN(f.lowStockThreshold)
                              ? ""
                              : String(f.lowStockThreshold)
                          }
                          onChange={(v) => setStore(i, { lowStockThreshold: v.trim() === "" ? null : int(v) })}
                        />
                      </FormLayout.Group>
                    </FormLayout>
                  </BlockStack>
                </Card>
              </Layout.AnnotatedSection>
            );
          })
        )}
      </Layout>
      <Box paddingBlockEnd="800" />
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Settings" error={useRouteError()} />;
}
