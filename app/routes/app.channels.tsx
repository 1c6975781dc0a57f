/**
 * Channels: the shop's stores (Shopify record + WooCommerce stores + retailer Shopify stores) and one-time
 * connection codes: for a WooCommerce store with the SyncFlow plugin, or for a retailer Shopify store (issue 14,
 * docs/decisions/195). Codes are shown once (only their hash is stored). A shop that is itself a linked retailer
 * sees its role and a link to its retailer page instead of codes.
 */
import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useRouteError } from "@remix-run/react";
import {
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  IndexTable,
  InlineStack,
  Layout,
  List,
  Page,
  Text,
  TextField,
} from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { listChannels } from "../models/channels.server";
import { createConnectionCode } from "../sync/stores/registration.server";
import { ChannelStatusBadge, ModeBadge } from "../components/StatusBadges";
import { RECORD_KIND } from "../channels/channel";
import { Time } from "../components/Time";
import { PageError } from "../components/PageStates";
import { formatDateTime } from "../components/format";
import { env } from "../env.server";
import { RetailersCard } from "../components/RetailersCard";
import { createRetailerCode, listRetailers, RetailerLinkError, shopRole } from "../retailers/links.server";
import prisma from "../db.server";
import { salesChannelKinds } from "../channels/registry.server";
import {
  AuthorizationError,
  disconnectAuthorizedChannel,
  startChannelAuthorization,
} from "../sync/stores/authorize.server";
import { protectionOf } from "../models/protection";
import { ConnectAuthorizedCard } from "../components/ConnectAuthorizedCard";
import { budgetPlanOf } from "../sync/intake/request-budget.server";

/** "45 s", "12 min", "3.5 h" — a cadence the merchant reads (ms in). */
function formatCadence(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}

export const meta: MetaFunction = () => [{ title: "SyncFlow · Channels" }];

/** The shop's stores and the hub URL the WooCommerce plugin needs. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const [channels, role, retailers, locations] = await Promise.all([
    listChannels(shop.id),
    shopRole(shop.id),
    listRetailers(shop.id),
    prisma.location.findMany({ where: { shopId: shop.id }, select: { gid: true, name: true } }),
  ]);
  const budgets = new Map<
    string,
    { pollS: number; reconcileMin: number; shops: number; listings: number; perDay: number }
  >();
  for (const c of channels) {
    const plan = c.kind === RECORD_KIND ? null : await budgetPlanOf(c);
    if (plan)
      budgets.set(c.id, {
        pollS: Math.round(plan.pollIntervalMs / 1000),
        reconcileMin: Math.round(plan.reconcileIntervalMs / 60_000),
        shops: plan.shops,
        listings: plan.listings,
        perDay: plan.perDay,
      });
  }
  const kinds = salesChannelKinds();
  return json({
    channels: channels.map((c) => {
      const def = kinds.find((k) => k.kind === c.kind);
      return {
        ...c,
        // issue 16: the protection level each store gets, and why (app/models/protection.ts).
        protection: protectionOf(
          {
            kind: c.kind,
            mode: c.mode,
            allocationEnabled: !!c.allocationEnabled,
            bufferUnits: Number(c.bufferUnits ?? 0),
            bufferPercent: Number(c.bufferPercent ?? 0),
          },
          def?.declared.writeModel === "set-only",
          RECORD_KIND,
        ),
        /** Connected by authorisation (a marketplace): the merchant may disconnect it here. */
        authorized: !!def?.authorization,
        /** The platform's published API budget the adapter paces itself within (requests per second). */
        budgetPerSecond: def?.declared.rateLimit.requestsPerSecond ?? null,
      };
    }),
    hubUrl: (env.SHOPIFY_APP_URL ?? new URL(request.url).origin).replace(/\/$/, ""),
    role:
      role.role === "retailer"
        ? { role: "retailer" as const, central: role.centralName ?? role.centralDomain }
        : { role: "central" as const },
    retailers: retailers.map((r) => ({
      ...r,
      linkedAt: r.linkedAt.toISOString(),
      lastSyncAt: r.lastSyncAt?.toISOString() ?? null,
    })),
    locationNames: Object.fromEntries(locations.map((l) => [l.gid, l.name])),
    // issue 16: kinds connected by authorising SyncFlow on the platform (Amazon), and polled channels' API budget.
    authorizedKinds: salesChannelKinds()
      .filter((k) => k.authorization)
      .map((k) => ({
        kind: k.kind,
        label: k.label,
        configured: k.authorization!.configured(),
        markets: [...k.authorization!.markets],
        ...(k.authorization!.description ? { description: k.authorization!.description } : {}),
      })),
    polls: Object.fromEntries(
      (
        await prisma.channelPollState.findMany({
          where: { channelId: { in: channels.map((c) => c.id) } },
          select: {
            channelId: true,
            lastPolledAt: true,
            throttled: true,
            polls: true,
            lastError: true,
            budgetLimit: true,
            budgetRemaining: true,
          },
        })
      ).map((p) => [
        p.channelId,
        {
          // issue 16 item 6: a kind whose day budget every merchant shares (Etsy) — cadences from it, use today.
          budget: budgets.get(p.channelId) ?? null,
          usedToday:
            p.budgetLimit != null && p.budgetRemaining != null
              ? { used: p.budgetLimit - p.budgetRemaining, limit: p.budgetLimit }
              : null,
          lastPolledAt: p.lastPolledAt?.toISOString() ?? null,
          throttled: p.throttled,
          polls: p.polls,
          lastError: p.lastError,
          intervalS: Math.round(
            (salesChannelKinds().find((k) => k.kind === channels.find((c) => c.id === p.channelId)?.kind)?.declared
              .pollIntervalMs ?? 60_000) / 1000,
          ),
        },
      ]),
    ),
  });
};

type ActionData = ({ ok: true; code: string; expiresAt: string } | { ok: false; error: string }) & {
  purpose?: "retailer";
};
/** `intent=authorize` (issue 16): the app's start URL of a channel authorisation, or why not. */
type AuthorizeData =
  { ok: true; authorizeUrl: string } | { ok: true; disconnected: string } | { ok: false; error: string };

/** `intent=create-code`: a new one-time connection code for the session's shop (never cached). */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  const form = await request.formData();
  const headers = { "Cache-Control": "no-store" };
  if (form.get("intent") === "create-retailer-code") {
    try {
      const { code, expiresAt } = await createRetailerCode(shop.id);
      return json<ActionData>({ ok: true, code, expiresAt: expiresAt.toISOString(), purpose: "retailer" }, { headers });
    } catch (e) {
      if (e instanceof RetailerLinkError)
        return json<ActionData>({ ok: false, error: e.message, purpose: "retailer" }, { status: e.status, headers });
      console.error("createRetailerCode failed", e);
      return json<ActionData>(
        { ok: false, error: "The code could not be created. Try again.", purpose: "retailer" },
        { status: 500, headers },
      );
    }
  }
  if (form.get("intent") === "disconnect-channel") {
    // issue 16: Disconnect a marketplace — tokens deleted, polling stopped, listings unlinked; nothing else touched.
    try {
      const { name } = await disconnectAuthorizedChannel(shop.id, String(form.get("channelId")));
      return json<AuthorizeData>({ ok: true, disconnected: name }, { headers });
    } catch (e) {
      if (e instanceof AuthorizationError)
        return json<AuthorizeData>({ ok: false, error: e.message }, { status: e.status, headers });
      throw e;
    }
  }
  if (form.get("intent") === "authorize") {
    // issue 16: "Connect Amazon" — a one-time state and the app's start URL (opened at the top level).
    if ((await shopRole(shop.id)).role === "retailer")
      return json<AuthorizeData>(
        { ok: false, error: "This shop is a retailer of another shop and cannot connect stores of its own." },
        { status: 409, headers },
      );
    try {
      const authorizeUrl = await startChannelAuthorization(
        shop.id,
        String(form.get("kind")),
        String(form.get("market")),
      );
      return json<AuthorizeData>({ ok: true, authorizeUrl }, { headers });
    } catch (e) {
      if (e instanceof AuthorizationError)
        return json<AuthorizeData>({ ok: false, error: e.message }, { status: e.status, headers });
      throw e;
    }
  }
  if (form.get("intent") !== "create-code")
    return json<ActionData>({ ok: false, error: "Unknown action." }, { status: 400, headers });
  if ((await shopRole(shop.id)).role === "retailer") {
    return json<ActionData>(
      {
        ok: false,
        error:
          "This shop is a retailer of another shop: it sells that shop's stock and cannot connect stores of its own.",
      },
      { status: 409, headers },
    );
  }
  try {
    const { code, expiresAt } = await createConnectionCode(shop.id);
    return json<ActionData>({ ok: true, code, expiresAt: expiresAt.toISOString() }, { headers });
  } catch (e) {
    console.error("createConnectionCode failed", e);
    return json<ActionData>(
      {
        ok: false,
        error: "The code could not be created. Try again; if it keeps failing, check the SyncFlow server logs.",
      },
      { status: 500, headers },
    );
  }
};

export default function Channels() {
  const { channels, hubUrl, role, retailers, locationNames, authorizedKinds, polls } = useLoaderData<typeof loader>();
  const authorizeFetcher = useFetcher<typeof action>();
  const authorizeResult = authorizeFetcher.data as AuthorizeData | undefined;
  useEffect(() => {
    // Seller Central's consent page must open at the top level (outside the admin iframe): App Bridge handles `_top`.
    if (authorizeResult?.ok && "authorizeUrl" in authorizeResult) window.open(authorizeResult.authorizeUrl, "_top");
  }, [authorizeResult]);
  const fetcher = useFetcher<typeof action>();
  const retailerFetcher = useFetcher<typeof action>();
  const creating = fetcher.state !== "idle";
  const result = fetcher.data as ActionData | undefined;
  const retailerResult = retailerFetcher.data as ActionData | undefined;
  const [hidden, setHidden] = useState(false);
  useEffect(() => {
    if (fetcher.state === "submitting") setHidden(false);
  }, [fetcher.state]);
  const sales = channels.filter((c) => c.kind !== RECORD_KIND);

  const createCode = () => fetcher.submit({ intent: "create-code" }, { method: "post" });

  return (
    <Page
      title="Channels"
      subtitle={
        role.role === "retailer"
          ? `This shop is a retailer of ${role.central}`
          : "Central shop · stores whose stock SyncFlow keeps equal to Shopify's"
      }
      primaryAction={
        role.role === "retailer"
          ? undefined
          : { content: "Create connection code", onAction: createCode, loading: creating, disabled: creating }
      }
    >
      <TitleBar title="Channels" />
      <Layout>
        {authorizeResult?.ok && "disconnected" in authorizeResult && (
          <Layout.Section>
            <Banner tone="success" title={`${authorizeResult.disconnected} was disconnected`}>
              <Text as="p">
                Its listings are unlinked and SyncFlow no longer polls or writes it. Its orders stay in SyncFlow;
                connect it again any time.
              </Text>
            </Banner>
          </Layout.Section>
        )}
        {role.role === "retailer" && (
          <Layout.Section>
            <Banner tone="info" title={`Retailer of ${role.central}`}>
              <Text as="p">
                This shop sells the stock of {role.central}. SyncFlow writes that shop's stock to this shop and sends
                this shop's sales back to it. See Retailer link for what is synced.
              </Text>
            </Banner>
          </Layout.Section>
        )}
        {result && !hidden && (
          <Layout.Section>
            {result.ok ? (
              <Banner
                tone="success"
                title="Connection code created — copy it now, it is shown only once"
                onDismiss={() => setHidden(true)}
              >
                <BlockStack gap="300">
                  <Box maxWidth="420px">
                    <TextField
                      label="Connection code"
                      value={result.code}
                      readOnly
                      autoComplete="off"
                      monospaced
                      selectTextOnFocus
                      helpText={`Valid for 15 minutes, until ${formatDateTime(result.expiresAt)}. It can be used once.`}
                    />
                  </Box>
                  <Box maxWidth="420px">
                    <TextField
                      label="Hub URL"
                      value={hubUrl}
                      readOnly
                      autoComplete="off"
                      monospaced
                      selectTextOnFocus
                    />
                  </Box>
                  <Text as="p">In WordPress:</Text>
                  <List type="number">
                    <List.Item>Install and activate the SyncFlow plugin.</List.Item>
                    <List.Item>Open WooCommerce → Settings → SyncFlow.</List.Item>
                    <List.Item>Paste the hub URL and the connection code, then select Connect.</List.Item>
                  </List>
                  <Text as="p" tone="subdued">
                    The store appears in the list below once the plugin has connected. If the code expires, create a new
                    one.
                  </Text>
                </BlockStack>
              </Banner>
            ) : (
              <Banner tone="critical" title="No code created" onDismiss={() => setHidden(true)}>
                <Text as="p">{result.error}</Text>
              </Banner>
            )}
          </Layout.Section>
        )}
        {role.role === "central" && sales.length === 0 && !(result && result.ok && !hidden) && (
          <Layout.Section>
            <Banner tone="info" title="No sales channel connected yet">
              <Text as="p">
                Select “Create connection code”, then paste the code with the hub URL in WooCommerce → Settings →
                SyncFlow (SyncFlow plugin required), or link a retailer Shopify store below.
              </Text>
            </Banner>
          </Layout.Section>
        )}
        <Layout.Section>
          <Card padding="0">
            <IndexTable
              resourceName={{ singular: "store", plural: "stores" }}
              itemCount={channels.length}
              selectable={false}
              emptyState={
                <Box padding="400">
                  <Text as="p">
                    No stores yet. Your Shopify store appears once SyncFlow has finished installing; reload in a minute.
                  </Text>
                </Box>
              }
              headings={[
                { title: "Store" },
                { title: "Kind" },
                { title: "Status" },
                { title: "Mode" },
                { title: "Protection" },
                { title: "Last sync" },
                { title: "Webhook or poll last seen" },
              ]}
            >
              {channels.map((c, i) => (
                <IndexTable.Row id={c.id} key={c.id} position={i}>
                  <IndexTable.Cell>
                    <BlockStack gap="050">
                      <Text as="span" fontWeight="semibold">
                        {c.name}
                      </Text>
                      <Text as="span" tone="subdued" variant="bodySm">
                        {c.baseUrl}
                      </Text>
                      {polls[c.id]?.budget && (
                        <Text as="span" tone="subdued" variant="bodySm">
                          {`${c.kindLabel}'s ${polls[c.id]!.budget!.perDay.toLocaleString("en-US")} requests a day are shared by every SyncFlow merchant (${polls[c.id]!.budget!.shops} shops connected): orders polled every ${formatCadence(polls[c.id]!.budget!.pollS * 1000)}, reconciled every ${formatCadence(polls[c.id]!.budget!.reconcileMin * 60_000)} for ${polls[c.id]!.budget!.listings} SKUs`}
                          {polls[c.id]!.usedToday
                            ? ` · requests used today ${polls[c.id]!.usedToday!.used.toLocaleString("en-US")} / ${polls[c.id]!.usedToday!.limit.toLocaleString("en-US")}`
                            : ""}
                        </Text>
                      )}
                      {polls[c.id] && !polls[c.id]!.budget && (
                        <Text as="span" tone="subdued" variant="bodySm">
                          {`API budget: orders polled every ${polls[c.id]!.intervalS} s (the platform's rate limit)${c.budgetPerSecond ? `, writes paced to ${c.budgetPerSecond}/s` : ""} · ${polls[c.id]!.polls} polls, ${polls[c.id]!.throttled} cut short by its rate limit`}
                          {polls[c.id]!.lastError ? ` · last error: ${polls[c.id]!.lastError}` : ""}
                        </Text>
                      )}
                    </BlockStack>
                  </IndexTable.Cell>
                  <IndexTable.Cell>{c.kindLabel}</IndexTable.Cell>
                  <IndexTable.Cell>
                    <InlineStack gap="100" blockAlign="center" wrap={false}>
                      <ChannelStatusBadge status={c.status} reason={c.statusReason} />
                    </InlineStack>
                    {c.statusReason && c.status !== "active" && (
                      <Text as="p" tone="subdued" variant="bodySm">
                        {c.statusReason}
                      </Text>
                    )}
                    {c.pluginUpdateNeeded && (
                      <Text as="p" tone="caution" variant="bodySm">
                        Update the SyncFlow plugin on this store (1.1.0 or later): its calls are accepted only until the
                        grace period ends.
                      </Text>
                    )}
                  </IndexTable.Cell>
                  <IndexTable.Cell>{c.kind === RECORD_KIND ? "Record" : <ModeBadge mode={c.mode} />}</IndexTable.Cell>
                  <IndexTable.Cell>
                    <BlockStack gap="050">
                      <Text as="span" fontWeight="medium">
                        {c.protection.label}
                      </Text>
                      <Box maxWidth="320px">
                        <Text as="p" tone="subdued" variant="bodySm" breakWord>
                          {c.protection.why}
                        </Text>
                      </Box>
                      {c.authorized && c.status !== "disconnected" && (
                        <Box>
                          <Button
                            size="slim"
                            tone="critical"
                            variant="plain"
                            onClick={() => {
                              if (window.confirm(`Disconnect ${c.name}? Its listings are unlinked; orders stay.`))
                                authorizeFetcher.submit(
                                  { intent: "disconnect-channel", channelId: c.id },
                                  { method: "post" },
                                );
                            }}
                          >
                            {`Disconnect ${c.kindLabel}`}
                          </Button>
                        </Box>
                      )}
                    </BlockStack>
                  </IndexTable.Cell>
                  <IndexTable.Cell>
                    <Time value={c.lastSyncAt} />
                  </IndexTable.Cell>
                  <IndexTable.Cell>
                    <Time value={polls[c.id]?.lastPolledAt ?? c.lastWebhookAt} />
                  </IndexTable.Cell>
                </IndexTable.Row>
              ))}
            </IndexTable>
          </Card>
        </Layout.Section>
        {role.role === "central" && authorizedKinds.length > 0 && (
          <Layout.Section>
            <ConnectAuthorizedCard
              kinds={authorizedKinds}
              connecting={authorizeFetcher.state !== "idle"}
              onConnect={(kind, market) =>
                authorizeFetcher.submit({ intent: "authorize", kind, market }, { method: "post" })
              }
              error={authorizeResult && !authorizeResult.ok ? authorizeResult.error : null}
            />
          </Layout.Section>
        )}
        {role.role === "central" && (
          <Layout.Section>
            <RetailersCard
              retailers={retailers}
              locationName={(gid) => locationNames[gid] ?? gid}
              onCreateCode={() => retailerFetcher.submit({ intent: "create-retailer-code" }, { method: "post" })}
              creating={retailerFetcher.state !== "idle"}
              code={retailerResult?.ok ? { code: retailerResult.code, expiresAt: retailerResult.expiresAt } : null}
              error={retailerResult && !retailerResult.ok ? retailerResult.error : null}
            />
          </Layout.Section>
        )}
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Channels" error={useRouteError()} />;
}
