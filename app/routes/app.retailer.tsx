/**
 * Retailer link: the retailer shop's own page (issue 14 item 4, docs/decisions/195). Not linked: enter the retailer
 * code the central shop made. Linked: which central shop, what is synced (inventory to which location; order import
 * and fulfilments come with the orders hub), last sync, the variants SyncFlow could not link (and why), and unlink.
 * Everything is read for the session's shop only: a retailer sees its own link and nothing of other retailers.
 */
import { useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useRouteError } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  DataTable,
  InlineStack,
  Layout,
  Page,
  Text,
  TextField,
} from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { linkRetailer, retailerOverview, RetailerLinkError, unlinkRetailer } from "../retailers/links.server";
import { ChannelStatusBadge } from "../components/StatusBadges";
import { Time } from "../components/Time";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Retailer link" }];

const REASONS: Record<string, string> = {
  unmatched: "SKU not found in the central shop",
  no_sku: "No SKU",
  duplicate_sku: "SKU used by more than one variant",
  ambiguous_sku: "SKU differs only by letter case from another",
  ignored: "Left unsynced",
};

/** The session shop's retailer link (null when it never linked). */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const o = await retailerOverview(shop.id);
  return json({
    shop: { domain: shop.domain, name: shop.name },
    link: o && { ...o, linkedAt: o.linkedAt.toISOString(), lastSyncAt: o.lastSyncAt?.toISOString() ?? null },
  });
};

type ActionData = { ok: true; message: string } | { ok: false; error: string };

/** `intent=link` (code) or `intent=unlink`. */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  const form = await request.formData();
  const intent = form.get("intent");
  try {
    if (intent === "link") {
      const code = String(form.get("code") ?? "").trim();
      if (!code)
        return json<ActionData>(
          { ok: false, error: "Enter the retailer code from the central shop." },
          { status: 400 },
        );
      const r = await linkRetailer(shop.id, code);
      return json<ActionData>({
        ok: true,
        message: `Linked to ${r.centralDomain}${r.relinked ? " again — earlier links and history kept" : ""}. SyncFlow is matching your variants by SKU.`,
      });
    }
    if (intent === "unlink") {
      const o = await retailerOverview(shop.id);
      if (!o || o.status !== "linked")
        return json<ActionData>({ ok: false, error: "This shop is not linked." }, { status: 409 });
      await unlinkRetailer(shop.id, o.linkId);
      return json<ActionData>({
        ok: true,
        message: "Unlinked. SyncFlow no longer changes this shop's stock; your history is kept.",
      });
    }
  } catch (e) {
    if (e instanceof RetailerLinkError)
      return json<ActionData>({ ok: false, error: e.message }, { status: e.status, headers: e.headers });
    throw e;
  }
  return json<ActionData>({ ok: false, error: "Unknown action." }, { status: 400 });
};

export default function RetailerLinkPage() {
  const { shop, link } = useLoaderData<typeof loader>();
  const fetcher = useFetcher<typeof action>();
  const [code, setCode] = useState("");
  const result = fetcher.data as ActionData | undefined;
  const busy = fetcher.state !== "idle";
  const linked = link?.status === "linked";
  return (
    <Page
      title="Retailer link"
      subtitle={
        linked ? `Retailer of ${link!.centralName ?? link!.centralDomain}` : "Central shop (not linked as a retailer)"
      }
    >
      <TitleBar title="Retailer link" />
      <Layout>
        {result && (
          <Layout.Section>
            <Banner tone={result.ok ? "success" : "critical"}>{result.ok ? result.message : result.error}</Banner>
          </Layout.Section>
        )}
        {!linked && (
          <Layout.Section>
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Sell another shop's stock
                </Text>
                <Text as="p">
                  If {shop.name ?? shop.domain} is a retailer of a central Shopify shop that runs SyncFlow, ask it for a
                  retailer code (SyncFlow → Channels → Create retailer code) and enter it here. SyncFlow then keeps the
                  central shop's stock on one of your locations and sends your sales back to it. A shop is either a
                  central shop or a retailer of one central shop.
                </Text>
                {link && link.status === "unlinked" && (
                  <Text as="p" tone="subdued">
                    Previously linked to {link.centralDomain}. Linking to it again keeps your earlier matches and
                    history.
                  </Text>
                )}
                <Box maxWidth="420px">
                  <TextField
                    label="Retailer code"
                    value={code}
                    onChange={setCode}
                    autoComplete="off"
                    monospaced
                    placeholder="SF-XXXX-XXXX-…"
                  />
                </Box>
                <InlineStack>
                  <Button
                    variant="primary"
                    loading={busy}
                    disabled={!code.trim()}
                    onClick={() => fetcher.submit({ intent: "link", code }, { method: "post" })}
                  >
                    Link to central shop
                  </Button>
                </InlineStack>
              </BlockStack>
            </Card>
          </Layout.Section>
        )}
        {linked && link && (
          <>
            <Layout.Section>
              <Card>
                <BlockStack gap="200">
                  <InlineStack gap="200" blockAlign="center">
                    <Text as="h2" variant="headingMd">
                      Linked to {link.centralName ?? link.centralDomain}
                    </Text>
                    <ChannelStatusBadge status={link.channelStatus} reason={link.statusReason} />
                  </InlineStack>
                  <Text as="p" tone="subdued">
                    {link.centralDomain} · linked <Time value={link.linkedAt} /> · last sync{" "}
                    <Time value={link.lastSyncAt} />
                  </Text>
                  {link.statusReason && link.channelStatus !== "active" && (
                    <Text as="p" tone="caution">
                      {link.statusReason}
                    </Text>
                  )}
                  <BlockStack gap="100">
                    <InlineStack gap="200">
                      <Text as="span">Inventory</Text>
                      {link.syncInventory ? <Badge tone="success">Synced</Badge> : <Badge>Off</Badge>}
                      {link.syncInventory && (
                        <Text as="span" tone="subdued">
                          written to location {link.retailerLocationId?.split("/").pop() ?? "(not chosen yet)"}
                        </Text>
                      )}
                    </InlineStack>
                    <InlineStack gap="200">
                      <Text as="span">Your sales</Text>
                      <Badge tone="success">Sent to the central shop's stock</Badge>
                    </InlineStack>
                    <InlineStack gap="200">
                      <Text as="span">Order import / fulfilments</Text>
                      <Badge>{`${link.importOrders ? "Import on" : "Import off"} · ${link.pushFulfilments ? "fulfilments on" : "fulfilments off"}`}</Badge>
                    </InlineStack>
                  </BlockStack>
                  <Text as="p" tone="subdued">
                    The central shop chooses these settings. {link.linked} of your variants are linked by SKU.
                  </Text>
                  <InlineStack>
                    <Button
                      tone="critical"
                      loading={busy}
                      onClick={() => fetcher.submit({ intent: "unlink" }, { method: "post" })}
                    >
                      Unlink from central shop
                    </Button>
                  </InlineStack>
                </BlockStack>
              </Card>
            </Layout.Section>
            <Layout.Section>
              <Card>
                <BlockStack gap="200">
                  <Text as="h2" variant="headingMd">
                    Not linked ({link.unlinkedCount})
                  </Text>
                  {link.unlinkedItems.length === 0 ? (
                    <Text as="p">Every variant that holds stock is linked.</Text>
                  ) : (
                    <DataTable
                      columnContentTypes={["text", "text", "text"]}
                      headings={["Variant", "SKU", "Why"]}
                      rows={link.unlinkedItems.map((u) => [u.title, u.sku ?? "—", REASONS[u.reason] ?? u.reason])}
                    />
                  )}
                </BlockStack>
              </Card>
            </Layout.Section>
          </>
        )}
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Retailer link" error={useRouteError()} />;
}
