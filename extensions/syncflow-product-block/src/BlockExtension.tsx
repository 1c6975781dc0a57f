/** @jsxImportSource preact */
/**
 * SyncFlow admin block (target `admin.product-details.block.render`, @shopify/ui-extensions 2026.7 with Preact
 * and Polaris web components). Reads the selected product's stock on every sales channel from the app's backend
 * (app/routes/api.extension.product.tsx) with the extension's session token (`shopify.auth.idToken()` as a
 * Bearer token), renders it through model.ts, and offers "Sync now" (POST to the same route).
 */
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { blockUrl, buildBlockView, syncRequest, type BlockData } from "./model";

export default async () => {
  render(<ProductBlock />, document.body);
};

/** fetch with the extension's session token (an OpenID Connect ID token the app verifies like App Bridge's). */
async function authedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const token = await shopify.auth.idToken();
  return fetch(url, {
    ...init,
    headers: {
      ...(init.headers as Record<string, string> | undefined),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
  });
}

function ProductBlock() {
  const productId = shopify.data.selected[0]?.id ?? "";
  const [data, setData] = useState<BlockData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [syncing, setSyncing] = useState(false);

  const load = useCallback(async () => {
    try {
      const res = await authedFetch(blockUrl(productId));
      if (!res.ok) throw new Error(`SyncFlow answered ${res.status}`);
      setData((await res.json()) as BlockData);
      setError(null);
    } catch (e) {
      setError(`Could not load stock from SyncFlow (${(e as Error).message}).`);
    }
  }, [productId]);

  useEffect(() => {
    void load();
  }, [load]);

  const syncNow = async () => {
    setSyncing(true);
    try {
      const { url, init } = syncRequest(productId);
      const res = await authedFetch(url, init);
      const body = (await res.json()) as { ok?: boolean; message?: string };
      setNotice(
        res.status === 202
          ? "Sync queued: every channel gets this product's stock now."
          : (body.message ?? `SyncFlow answered ${res.status}`),
      );
      await load();
    } catch (e) {
      setNotice(`Sync could not be queued (${(e as Error).message}).`);
    } finally {
      setSyncing(false);
    }
  };

  if (error) {
    return (
      <s-admin-block heading="SyncFlow stock" collapsedSummary="Unavailable">
        <s-banner tone="critical">{error}</s-banner>
      </s-admin-block>
    );
  }
  if (!data) {
    return (
      <s-admin-block heading="SyncFlow stock" collapsedSummary="Loading">
        <s-spinner accessibilityLabel="Loading stock" />
      </s-admin-block>
    );
  }
  const view = buildBlockView(data, Date.now());
  return (
    <s-admin-block heading={view.heading} collapsedSummary={view.summary}>
      <s-stack direction="block" gap="base">
        {notice && <s-banner tone="info">{notice}</s-banner>}
        {view.empty ? (
          <s-paragraph>{view.empty}</s-paragraph>
        ) : (
          <s-table>
            <s-table-header-row>
              <s-table-header>Variant</s-table-header>
              <s-table-header>Shopify</s-table-header>
              {view.columns.map((c) => (
                <s-table-header key={c}>{c}</s-table-header>
              ))}
              <s-table-header>Conflicts</s-table-header>
              <s-table-header>Last sync</s-table-header>
            </s-table-header-row>
            <s-table-body>
              {view.rows.map((r) => (
                <s-table-row key={r.itemId}>
                  <s-table-cell>{r.label}</s-table-cell>
                  <s-table-cell>{r.shopify}</s-table-cell>
                  {r.cells.map((c) => (
                    <s-table-cell key={c.channel}>
                      <s-stack direction="inline" gap="small-200">
                        <s-text>{c.text}</s-text>
                        <s-badge
                          tone={
                            c.tone === "success"
                              ? "success"
                              : c.tone === "critical"
                                ? "critical"
                                : c.tone === "warning"
                                  ? "warning"
                                  : "neutral"
                          }
                        >
                          {c.state}
                        </s-badge>
                      </s-stack>
                    </s-table-cell>
                  ))}
                  <s-table-cell>
                    {r.conflicts ? <s-badge tone="critical">{r.conflicts}</s-badge> : <s-text>None</s-text>}
                  </s-table-cell>
                  <s-table-cell>{r.lastSync}</s-table-cell>
                </s-table-row>
              ))}
            </s-table-body>
          </s-table>
        )}
        <s-button onClick={syncNow} loading={syncing} disabled={syncing || !data.variants.length}>
          Sync now
        </s-button>
      </s-stack>
    </s-admin-block>
  );
}
