/**
 * Settings → Notifications & exports: per-event e-mail/SMS switches, recipients (e-mails; E.164 phone
 * numbers), the default low-stock threshold, quiet hours, the daily summary hour, "send test" for e-mail
 * and SMS; Google Sheets (connect with Google or a service-account key, rewrite now, status and last
 * export time) and links to the CSV exports.
 *
 * Action intents (form field `intent`): save · test-email · test-sms · sheets-oauth · sheets-service-account ·
 * sheets-rewrite · sheets-disconnect. Validation errors come back keyed by field with status 422.
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
  Checkbox,
  FormLayout,
  InlineGrid,
  InlineStack,
  Layout,
  Link,
  Page,
  Text,
  TextField,
} from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import prisma from "../db.server";
import { requireShop } from "../models/shop.server";
import {
  getNotifySettings,
  saveNotifySettings,
  settingsToForm,
  validateSettingsForm,
  type SettingsForm,
} from "../notify/settings.server";
import { CRITICAL_KINDS, KIND_INFO, NOTIFICATION_KINDS } from "../notify/kinds";
import { sendTest, TestSendLimitError } from "../notify/dispatch.server";
import { emailConfigured } from "../notify/email.server";
import { smsConfigured } from "../notify/sms.server";
import { connectServiceAccount, googleOAuthConfigured, startGoogleOAuth } from "../exports/google.server";
import { enqueue, QUEUES } from "../jobs/queue.server";
import { Time } from "../components/Time";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Notifications & exports" }];

/** Current settings, provider availability and the Sheets connection. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const [settings, sheet] = await Promise.all([
    getNotifySettings(shop.id),
    prisma.sheetConnection.findUnique({
      where: { shopId: shop.id },
      select: {
        authType: true,
        status: true,
        accountEmail: true,
        spreadsheetUrl: true,
        lastExportAt: true,
        lastFullExportAt: true,
        lastError: true,
      },
    }),
  ]);
  return json({
    form: settingsToForm(settings),
    providers: { email: emailConfigured(), sms: smsConfigured(), google: googleOAuthConfigured() },
    sheet: sheet && {
      ...sheet,
      lastExportAt: sheet.lastExportAt?.toISOString() ?? null,
      lastFullExportAt: sheet.lastFullExportAt?.toISOString() ?? null,
    },
  });
};

type ActionData =
  | {
      ok: true;
      intent: string;
      message?: string;
      authUrl?: string;
      results?: { recipient: string; status: string; error: string | null }[];
    }
  | { ok: false; intent: string; errors: Record<string, string> };

/** Handles the intents listed in the module comment. */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  const fd = await request.formData();
  const form: SettingsForm = {};
  for (const [k, v] of fd.entries()) if (typeof v === "string") form[k] = v;
  const intent = form.intent ?? "save";
  const fail = (errors: Record<string, string>) => json<ActionData>({ ok: false, intent, errors }, { status: 422 });
  switch (intent) {
    case "save": {
      const res = await saveNotifySettings(shop.id, form);
      return res.ok ? json<ActionData>({ ok: true, intent, message: "Settings saved" }) : fail(res.errors);
    }
    case "test-email":
    case "test-sms": {
      const v = validateSettingsForm(form);
      const channel = intent === "test-email" ? "email" : "sms";
      const field = channel === "email" ? "emailRecipients" : "smsRecipients";
      if (form[field] !== undefined && !v.ok && v.errors[field]) return fail({ [field]: v.errors[field]! });
      // Tests go only to SAVED recipients (issue 13): a typed, unsaved list must be saved first.
      const saved = await getNotifySettings(shop.id);
      const savedList = channel === "email" ? saved.emailRecipients : saved.smsRecipients;
      const typed = v.ok ? (channel === "email" ? v.value.emailRecipients : v.value.smsRecipients) : null;
      if (form[field] !== undefined && typed && typed.join(",") !== savedList.join(",")) {
        return fail({ [field]: "Save these recipients first: test messages go only to saved recipients." });
      }
      if (!savedList.length)
        return fail({
          [field]:
            channel === "email" ? "Add and save at least one e-mail address" : "Add and save at least one phone number",
        });
      let results;
      try {
        results = await sendTest(shop.id, channel);
      } catch (err) {
        if (err instanceof TestSendLimitError)
          return json<ActionData>(
            { ok: false, intent, errors: { [field]: err.message } },
            { status: 429, headers: { "Retry-After": String(Math.ceil(err.retryAfterS)) } },
          );
        throw err;
      }
      const bad = results.find((r) => r.status !== "sent");
      return json<ActionData>({
        ok: !bad,
        intent,
        results,
        message: bad ? `Not sent: ${bad.error ?? bad.status}` : `Test ${channel === "email" ? "e-mail" : "SMS"} sent`,
      } as ActionData);
    }
    case "sheets-oauth":
      try {
        return json<ActionData>({ ok: true, intent, authUrl: await startGoogleOAuth(shop.id) });
      } catch (e) {
        return fail({ sheets: (e as Error).message });
      }
    case "sheets-service-account":
      try {
        const { email } = await connectServiceAccount(shop.id, form.serviceAccountKey ?? "", form.spreadsheet ?? "");
        await enqueue(QUEUES.sheetsSync, { shopId: shop.id, full: true });
        return json<ActionData>({ ok: true, intent, message: `Connected as ${email}; the first export is on its way` });
      } catch (e) {
        return fail({ serviceAccountKey: (e as Error).message });
      }
    case "sheets-rewrite":
      await enqueue(QUEUES.sheetsSync, { shopId: shop.id, full: true });
      return json<ActionData>({ ok: true, intent, message: "Full rewrite queued" });
    case "sheets-disconnect":
      await prisma.sheetConnection.deleteMany({ where: { shopId: shop.id } });
      return json<ActionData>({
        ok: true,
        intent,
        message: "Google Sheets disconnected (the spreadsheet stays in your Google Drive)",
      });
  }
  return fail({ intent: `Unknown action ${intent}` });
};

export default function NotificationSettingsPage() {
  const { form: initial, providers, sheet } = useLoaderData<typeof loader>();
  const fetcher = useFetcher<typeof action>();
  const [values, setValues] = useState<Record<string, string | boolean>>(initial);
  const [saKey, setSaKey] = useState("");
  const [spreadsheet, setSpreadsheet] = useState("");
  const data = fetcher.data as ActionData | undefined;
  const errors = data && !data.ok && "errors" in data ? data.errors : {};
  const busy = (intent: string) => fetcher.state !== "idle" && fetcher.formData?.get("intent") === intent;
  const set = (k: string) => (v: string | boolean) => setValues((s) => ({ ...s, [k]: v }));
  const payload = (intent: string, extra: Record<string, string> = {}) => {
    const out: Record<string, string> = { intent, ...extra };
    for (const [k, v] of Object.entries(values)) {
      if (typeof v === "boolean") {
        if (v) out[k] = "on";
      } else out[k] = v;
    }
    return out;
  };
  const submit = (intent: string, extra?: Record<string, string>) =>
    fetcher.submit(payload(intent, extra), { method: "post" });

  useEffect(() => {
    if (data?.ok && "authUrl" in data && data.authUrl) window.open(data.authUrl, "_blank", "noopener");
  }, [data]);

  return (
    <Page title="Notifications & exports" backAction={{ content: "Notifications", url: "/app/notifications" }}>
      <TitleBar title="Notifications & exports" />
      <Layout>
        {data && (
          <Layout.Section>
            <Banner tone={data.ok ? "success" : "critical"}>
              {data.ok
                ? ("message" in data && data.message) || "Done"
                : (Object.values(errors)[0] ?? "Please fix the errors below")}
            </Banner>
          </Layout.Section>
        )}
        <Layout.AnnotatedSection
          title="Recipients"
          description="Who hears about what matters. SMS goes only to critical events."
        >
          <Card>
            <FormLayout>
              {!providers.email && <Banner tone="warning">E-mail is not configured on this server (SMTP_URL).</Banner>}
              <TextField
                label="E-mail recipients"
                name="emailRecipients"
                value={String(values.emailRecipients)}
                onChange={set("emailRecipients")}
                autoComplete="email"
                helpText="Separate several with commas"
                error={errors.emailRecipients}
              />
              <InlineStack align="end">
                <Button onClick={() => submit("test-email")} loading={busy("test-email")}>
                  Send test e-mail
                </Button>
              </InlineStack>
              {!providers.sms && (
                <Banner tone="warning">
                  SMS is not configured on this server (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM).
                </Banner>
              )}
              <TextField
                label="SMS phone numbers"
                name="smsRecipients"
                value={String(values.smsRecipients)}
                onChange={set("smsRecipients")}
                autoComplete="tel"
                helpText="International format with country code, e.g. +14155550100"
                error={errors.smsRecipients}
              />
              <InlineStack align="end">
                <Button onClick={() => submit("test-sms")} loading={busy("test-sms")}>
                  Send test SMS
                </Button>
              </InlineStack>
            </FormLayout>
          </Card>
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Events"
          description="Choose the channels for each event. Low-stock alerts come once per item until it recovers; bursts become one digest."
        >
          <Card>
            <BlockStack gap="300">
              {NOTIFICATION_KINDS.map((k) => (
                <InlineGrid key={k} columns={["twoThirds", "oneThird"]} gap="200">
                  <BlockStack gap="050">
                    <Text as="span" fontWeight="semibold">
                      {KIND_INFO[k].label}
                    </Text>
                    <Text as="span" tone="subdued" variant="bodySm">
                      {KIND_INFO[k].help}
                    </Text>
                  </BlockStack>
                  <InlineStack gap="300">
                    <Checkbox label="E-mail" checked={!!values[`${k}.email`]} onChange={set(`${k}.email`)} />
                    {CRITICAL_KINDS.has(k) && (
                      <Checkbox label="SMS" checked={!!values[`${k}.sms`]} onChange={set(`${k}.sms`)} />
                    )}
                  </InlineStack>
                </InlineGrid>
              ))}
            </BlockStack>
          </Card>
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Thresholds and timing"
          description="Quiet hours hold messages and send one digest when they end."
        >
          <Card>
            <FormLayout>
              <TextField
                label="Default low-stock threshold (units)"
                type="number"
                min={0}
                value={String(values.lowStockThreshold)}
                onChange={set("lowStockThreshold")}
                autoComplete="off"
                error={errors.lowStockThreshold}
                helpText="Items and stores can override it"
              />
              <FormLayout.Group>
                <TextField
                  label="Quiet hours start"
                  placeholder="22:00"
                  value={String(values.quietStart)}
                  onChange={set("quietStart")}
                  autoComplete="off"
                  error={errors.quietStart}
                />
                <TextField
                  label="Quiet hours end"
                  placeholder="07:00"
                  value={String(values.quietEnd)}
                  onChange={set("quietEnd")}
                  autoComplete="off"
                  error={errors.quietEnd}
                />
              </FormLayout.Group>
              <Checkbox
                label="Critical events (SMS-worthy) still go out during quiet hours"
                checked={!!values.criticalBypassQuiet}
                onChange={set("criticalBypassQuiet")}
              />
              <FormLayout.Group>
                <TextField
                  label="Time zone"
                  value={String(values.timezone)}
                  onChange={set("timezone")}
                  autoComplete="off"
                  error={errors.timezone}
                  helpText="IANA name, e.g. America/New_York"
                />
                <TextField
                  label="Daily summary at (hour, 0–23)"
                  type="number"
                  min={0}
                  max={23}
                  value={String(values.dailySummaryHour)}
                  onChange={set("dailySummaryHour")}
                  autoComplete="off"
                  error={errors.dailySummaryHour}
                />
              </FormLayout.Group>
              <InlineStack align="end">
                <Button variant="primary" onClick={() => submit("save")} loading={busy("save")}>
                  Save
                </Button>
              </InlineStack>
            </FormLayout>
          </Card>
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Google Sheets"
          description="Inventory and orders in a Google Sheet, updated after every sync."
        >
          <Card>
            <BlockStack gap="300">
              {sheet ? (
                <BlockStack gap="100">
                  <Text as="p">
                    Status:{" "}
                    <Text as="span" fontWeight="semibold">
                      {sheet.status}
                    </Text>
                    {sheet.accountEmail ? ` · ${sheet.accountEmail}` : ""}
                  </Text>
                  {sheet.spreadsheetUrl && (
                    <Link url={sheet.spreadsheetUrl} target="_blank">
                      Open the spreadsheet
                    </Link>
                  )}
                  <Text as="p" tone="subdued">
                    Last export: <Time value={sheet.lastExportAt} /> · last full rewrite:{" "}
                    <Time value={sheet.lastFullExportAt} />
                  </Text>
                  {sheet.lastError && <Banner tone="critical">{sheet.lastError}</Banner>}
                  <InlineStack gap="200">
                    <Button
                      onClick={() => submit("sheets-rewrite")}
                      loading={busy("sheets-rewrite")}
                      disabled={sheet.status !== "connected"}
                    >
                      Rewrite the sheet now
                    </Button>
                    <Button tone="critical" variant="plain" onClick={() => submit("sheets-disconnect")}>
                      Disconnect
                    </Button>
                  </InlineStack>
                </BlockStack>
              ) : (
                <Text as="p" tone="subdued">
                  Not connected.
                </Text>
              )}
              {errors.sheets && <Banner tone="critical">{errors.sheets}</Banner>}
              <InlineStack>
                <Button
                  onClick={() => submit("sheets-oauth")}
                  loading={busy("sheets-oauth")}
                  disabled={!providers.google}
                >
                  Connect with Google
                </Button>
              </InlineStack>
              <Box borderBlockStartWidth="025" borderColor="border" paddingBlockStart="300">
                <FormLayout>
                  <Text as="p" variant="bodySm" tone="subdued">
                    Or use a service account: share your spreadsheet with its e-mail as Editor, then paste the
                    spreadsheet link and the key.
                  </Text>
                  <TextField
                    label="Spreadsheet link or id"
                    value={spreadsheet}
                    onChange={setSpreadsheet}
                    autoComplete="off"
                  />
                  <TextField
                    label="Service-account key (JSON)"
                    value={saKey}
                    onChange={setSaKey}
                    multiline={4}
                    autoComplete="off"
                    error={errors.serviceAccountKey}
                  />
                  <InlineStack align="end">
                    <Button
                      onClick={() => submit("sheets-service-account", { serviceAccountKey: saKey, spreadsheet })}
                      loading={busy("sheets-service-account")}
                    >
                      Connect service account
                    </Button>
                  </InlineStack>
                </FormLayout>
              </Box>
            </BlockStack>
          </Card>
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection title="CSV exports" description="Excel-friendly files, streamed.">
          <Card>
            <InlineStack gap="300">
              <Button url="/app/exports/inventory.csv" download>
                Inventory
              </Button>
              <Button url="/app/exports/orders.csv" download>
                Orders
              </Button>
              <Button url="/app/exports/activity.csv" download>
                Activity
              </Button>
            </InlineStack>
          </Card>
        </Layout.AnnotatedSection>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Notifications & exports" error={useRouteError()} />;
}
