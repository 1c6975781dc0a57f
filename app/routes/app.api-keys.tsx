/**
 * Settings → API (issue 18, docs/decisions/280, 284): the merchant's API keys (created here, the secret shown ONCE,
 * scoped read or read-write, revocable, last use shown), outbound webhook endpoints (their signing secret shown once)
 * and the latest deliveries, with links to the API reference. API access is an Enterprise feature: other plans see
 * why and where to upgrade, and cannot create keys.
 */
import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useRouteError } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Button,
  Card,
  Checkbox,
  DataTable,
  InlineStack,
  Layout,
  Link,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import { requireShop } from "../models/shop.server";
import { createApiKey, listApiKeys, revokeApiKey } from "../api/keys.server";
import { ApiError } from "../api/errors";
import {
  createSubscription,
  deleteSubscription,
  listDeliveries,
  listSubscriptions,
  SubscriptionError,
} from "../outbound/webhooks.server";
import { OUTBOUND_TOPICS, TOPIC_INFO } from "../outbound/topics";
import { planFor } from "../billing/billing.server";
import { env } from "../env.server";
import { Time } from "../components/Time";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · API" }];

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const [plan, keys, endpoints, deliveries] = await Promise.all([
    planFor(shop.id),
    listApiKeys(shop.id),
    listSubscriptions(shop.id),
    listDeliveries(shop.id, 50),
  ]);
  const base = (env.SHOPIFY_APP_URL ?? new URL(request.url).origin).replace(/\/$/, "");
  return json({
    apiAccess: plan.features.apiAccess,
    planLabel: plan.label,
    keys,
    endpoints,
    deliveries,
    apiBase: `${base}/api/v1`,
  });
};

type ActionData =
  | { ok: true; message: string; secret?: { kind: "key" | "endpoint"; value: string; name: string } }
  | { ok: false; message: string };

/** `intent`: create-key (name, scope) | revoke-key (id) | create-endpoint (url, topics = JSON array) | delete-endpoint (id). */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, session } = await requireShop(request);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  const bad = (message: string, status = 400) => json<ActionData>({ ok: false, message }, { status });
  try {
    if (intent === "create-key" || intent === "create-endpoint") {
      const plan = await planFor(shop.id);
      if (!plan.features.apiAccess)
        return bad(`API access is part of the Enterprise plan (this shop is on ${plan.label}).`, 403);
    }
    if (intent === "create-key") {
      const { key, secret } = await createApiKey(shop.id, {
        name: String(form.get("name") ?? ""),
        scope: String(form.get("scope") ?? ""),
        createdBy: session.shop,
      });
      return json<ActionData>({
        ok: true,
        message: `API key “${key.name}” created`,
        secret: { kind: "key", value: secret, name: key.name },
      });
    }
    if (intent === "revoke-key") {
      const ok = await revokeApiKey(shop.id, String(form.get("id") ?? ""));
      return ok
        ? json<ActionData>({ ok: true, message: "API key revoked: it stops working at once" })
        : bad("That key is already revoked or gone. Reload the page.", 404);
    }
    if (intent === "create-endpoint") {
      let topics: string[] = [];
      try {
        topics = (JSON.parse(String(form.get("topics") ?? "[]")) as unknown[]).map(String);
      } catch {
        /* none */
      }
      const { subscription, secret } = await createSubscription(shop.id, {
        url: String(form.get("url") ?? ""),
        topics,
      });
      return json<ActionData>({
        ok: true,
        message: "Webhook endpoint added",
        secret: { kind: "endpoint", value: secret, name: subscription.url },
      });
    }
    if (intent === "delete-endpoint") {
      const ok = await deleteSubscription(shop.id, String(form.get("id") ?? ""));
      return ok
        ? json<ActionData>({ ok: true, message: "Webhook endpoint deleted" })
        : bad("That endpoint is gone.", 404);
    }
  } catch (err) {
    if (err instanceof ApiError) return bad(err.message, 422);
    if (err instanceof SubscriptionError) return bad(err.message, 422);
    throw err;
  }
  return bad("Unknown action.");
};

const SCOPES = [
  { label: "Read (inventory, orders, ledger, channels)", value: "read" },
  { label: "Read and write (also adjust and set stock)", value: "read_write" },
];

export default function ApiKeys() {
  const { apiAccess, planLabel, keys, endpoints, deliveries, apiBase } = useLoaderData<typeof loader>();
  const fetcher = useFetcher<ActionData>();
  const shopify = useAppBridge();
  const [name, setName] = useState("");
  const [scope, setScope] = useState("read");
  const [url, setUrl] = useState("");
  const [topics, setTopics] = useState<string[]>(["stock.changed"]);
  const [secret, setSecret] = useState<{ kind: "key" | "endpoint"; value: string; name: string } | null>(null);
  useEffect(() => {
    if (fetcher.state !== "idle" || !fetcher.data) return;
    shopify.toast.show(fetcher.data.message, { isError: !fetcher.data.ok });
    if (fetcher.data.ok && fetcher.data.secret) {
      setSecret(fetcher.data.secret);
      if (fetcher.data.secret.kind === "key") setName("");
      else setUrl("");
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fetcher.state, fetcher.data]);
  const busy = fetcher.state !== "idle";
  const submit = (fields: Record<string, string>) => fetcher.submit(fields, { method: "post" });
  const error = fetcher.data && !fetcher.data.ok ? fetcher.data.message : null;

  return (
    <Page
      title="API"
      subtitle="Keys for your own tools, webhooks to your endpoints"
      backAction={{ content: "Settings", url: "/app/settings" }}
    >
      <TitleBar title="API" />
      <Layout>
        {!apiAccess && (
          <Layout.Section>
            <Banner tone="warning" title="API access is part of the Enterprise plan">
              <p>
                This shop is on {planLabel}. Existing keys stop working until the shop is on Enterprise again.{" "}
                <Link url="/app/plan">See plans</Link>
              </p>
            </Banner>
          </Layout.Section>
        )}
        {secret && (
          <Layout.Section>
            <Banner
              tone="success"
              title={secret.kind === "key" ? `Copy the API key “${secret.name}” now` : "Copy the signing secret now"}
              onDismiss={() => setSecret(null)}
            >
              <BlockStack gap="200">
                <p>
                  It is shown only this once: SyncFlow keeps{" "}
                  {secret.kind === "key"
                    ? "only a hash of it"
                    : "it encrypted to sign deliveries and never shows it again"}
                  .
                </p>
                <TextField
                  label={secret.kind === "key" ? "New API key" : `Signing secret for ${secret.name}`}
                  value={secret.value}
                  readOnly
                  autoComplete="off"
                  monospaced
                  selectTextOnFocus
                />
              </BlockStack>
            </Banner>
          </Layout.Section>
        )}
        {error && (
          <Layout.Section>
            <Banner tone="critical" title="Not saved">
              <p>{error}</p>
            </Banner>
          </Layout.Section>
        )}
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                API keys
              </Text>
              <Text as="p" tone="subdued">
                Send a key as <code>Authorization: Bearer &lt;key&gt;</code> to <code>{apiBase}</code>. Reference:{" "}
                <Link url={`${apiBase}/docs`} target="_blank">
                  API documentation
                </Link>{" "}
                ·{" "}
                <Link url={`${apiBase}/openapi.json`} target="_blank">
                  OpenAPI 3.1 document
                </Link>
              </Text>
              <InlineStack gap="300" blockAlign="end" wrap>
                <div style={{ minWidth: 240 }}>
                  <TextField
                    label="Key name"
                    value={name}
                    onChange={setName}
                    autoComplete="off"
                    placeholder="ERP sync"
                    disabled={!apiAccess}
                  />
                </div>
                <Select label="Scope" options={SCOPES} value={scope} onChange={setScope} disabled={!apiAccess} />
                <Button
                  variant="primary"
                  disabled={!apiAccess}
                  loading={busy && fetcher.formData?.get("intent") === "create-key"}
                  onClick={() => submit({ intent: "create-key", name, scope })}
                >
                  Create key
                </Button>
              </InlineStack>
              <DataTable
                columnContentTypes={["text", "text", "text", "text", "text", "text", "text"]}
                headings={["Name", "Key", "Scope", "Created", "Last used", "Status", "Action"]}
                rows={keys.map((k) => [
                  k.name,
                  <code key="p">{k.prefix}_…</code>,
                  k.scope === "read_write" ? "Read and write" : "Read",
                  <Time key="c" value={k.createdAt} />,
                  k.lastUsedAt ? <Time key="u" value={k.lastUsedAt} /> : "Never",
                  k.revokedAt ? (
                    <Badge key="s" tone="critical">
                      Revoked
                    </Badge>
                  ) : (
                    <Badge key="s" tone="success">
                      Active
                    </Badge>
                  ),
                  k.revokedAt ? (
                    "—"
                  ) : (
                    <Button
                      key="r"
                      tone="critical"
                      variant="plain"
                      accessibilityLabel={`Revoke ${k.name}`}
                      onClick={() => submit({ intent: "revoke-key", id: k.id })}
                    >
                      Revoke
                    </Button>
                  ),
                ])}
              />
              {!keys.length && (
                <Text as="p" tone="subdued">
                  No API keys yet.
                </Text>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Webhook endpoints
              </Text>
              <Text as="p" tone="subdued">
                SyncFlow POSTs each event to your endpoint, signed per Standard Webhooks (webhook-id is the event id:
                deduplicate on it). Failed deliveries are retried with backoff, then wait on the Dead letters page.
              </Text>
              <TextField
                label="Endpoint URL (https)"
                value={url}
                onChange={setUrl}
                autoComplete="off"
                placeholder="https://example.com/syncflow-webhooks"
                disabled={!apiAccess}
              />
              <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
                <legend>
                  <Text as="span" variant="bodyMd">
                    Topics
                  </Text>
                </legend>
                <BlockStack gap="100">
                  {OUTBOUND_TOPICS.map((t) => (
                    <Checkbox
                      key={t}
                      label={`${t} — ${TOPIC_INFO[t]}`}
                      checked={topics.includes(t)}
                      disabled={!apiAccess}
                      onChange={(on) => setTopics((cur) => (on ? [...cur, t] : cur.filter((x) => x !== t)))}
                    />
                  ))}
                </BlockStack>
              </fieldset>
              <InlineStack>
                <Button
                  disabled={!apiAccess}
                  loading={busy && fetcher.formData?.get("intent") === "create-endpoint"}
                  onClick={() => submit({ intent: "create-endpoint", url, topics: JSON.stringify(topics) })}
                >
                  Add endpoint
                </Button>
              </InlineStack>
              <DataTable
                columnContentTypes={["text", "text", "text", "text"]}
                headings={["Endpoint", "Topics", "Added", "Action"]}
                rows={endpoints.map((e) => [
                  <Text key="u" as="span" breakWord>
                    {e.url}
                  </Text>,
                  e.topics.join(", "),
                  <Time key="c" value={e.createdAt} />,
                  <Button
                    key="d"
                    tone="critical"
                    variant="plain"
                    accessibilityLabel={`Delete endpoint ${e.url}`}
                    onClick={() => submit({ intent: "delete-endpoint", id: e.id })}
                  >
                    Delete
                  </Button>,
                ])}
              />
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Latest deliveries
              </Text>
              <DataTable
                columnContentTypes={["text", "text", "text", "text", "text", "numeric", "text"]}
                headings={["Created", "Topic", "Event id", "Endpoint", "Status", "Attempts", "Last answer"]}
                rows={deliveries.map((d) => [
                  <Time key="c" value={d.createdAt} />,
                  d.topic,
                  <code key="e">{d.eventId}</code>,
                  d.url,
                  <Badge
                    key="s"
                    tone={
                      d.status === "delivered"
                        ? "success"
                        : d.status === "dead"
                          ? "critical"
                          : d.status === "failed"
                            ? "warning"
                            : undefined
                    }
                  >
                    {d.status}
                  </Badge>,
                  d.attempts,
                  d.lastError ?? (d.lastStatus ? `HTTP ${d.lastStatus}` : "—"),
                ])}
              />
              {!deliveries.length && (
                <Text as="p" tone="subdued">
                  No deliveries yet.
                </Text>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="API" error={useRouteError()} />;
}
