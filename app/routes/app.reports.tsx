/**
 * Scheduled reports (issue 18 item 3; docs/decisions/296): daily or weekly e-mail with the channel summary of the
 * period against the previous one and the items to reorder, with CSV attachments — the merchant chooses the
 * frequency, weekday, local hour (the shop's time zone, from the notification settings) and recipients. Validated with
 * zod (app/reports/reports.server.ts; field errors, 422). Lists the last reports sent. Plan gate: analytics.
 */
import { useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useRouteError } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  Checkbox,
  FormLayout,
  IndexTable,
  InlineStack,
  Layout,
  Link,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import prisma from "../db.server";
import { requireShop } from "../models/shop.server";
import { hasFeature } from "../billing/billing.server";
import { getReportSchedule, saveReportSchedule } from "../reports/reports.server";
import { getNotifySettings } from "../notify/settings.server";
import { Time } from "../components/Time";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Scheduled reports" }];

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const [allowed, schedule, notify, runs] = await Promise.all([
    hasFeature(shop.id, "analytics"),
    getReportSchedule(shop.id),
    getNotifySettings(shop.id),
    prisma.reportRun.findMany({
      where: { shopId: shop.id },
      orderBy: { createdAt: "desc" },
      take: 20,
      select: { id: true, periodKey: true, status: true, sentAt: true, recipients: true, error: true, attempts: true },
    }),
  ]);
  return json({ allowed, schedule, timezone: notify.timezone, runs });
};

type ActionData = { ok: true } | { ok: false; errors: Record<string, string> };

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop } = await requireShop(request);
  if (!(await hasFeature(shop.id, "analytics")))
    return json<ActionData>(
      { ok: false, errors: { form: "Your plan does not include scheduled reports." } },
      { status: 403 },
    );
  const r = await saveReportSchedule(shop.id, Object.fromEntries(await request.formData()));
  return r.ok ? json<ActionData>({ ok: true }) : json<ActionData>({ ok: false, errors: r.errors }, { status: 422 });
};

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export default function Reports() {
  const { allowed, schedule, timezone, runs } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as ActionData | undefined;
  const nav = useNavigation();
  const errors = data && !data.ok ? data.errors : {};
  const [v, setV] = useState({
    enabled: schedule.enabled,
    frequency: schedule.frequency as string,
    weekday: String(schedule.weekday),
    hour: String(schedule.hour),
    recipients: schedule.recipients.join(", "),
  });
  return (
    <Page title="Scheduled reports" backAction={{ content: "Reorder", url: "/app/reorder" }}>
      <TitleBar title="Scheduled reports" />
      <BlockStack gap="400">
        {!allowed && (
          <Banner tone="info" title="Scheduled reports are part of the Professional and Enterprise plans">
            <p>
              <Link url="/app/plan">See plans</Link>
            </p>
          </Banner>
        )}
        {data?.ok && <Banner tone="success" title="Report schedule saved" />}
        {errors.form && <Banner tone="critical" title={errors.form} />}
        <Layout>
          <Layout.AnnotatedSection
            id="schedule"
            title="E-mail report"
            description="Orders, units, revenue, refunds and average order value per channel and currency against the previous period, and the items to reorder — with the full tables as CSV attachments."
          >
            <Card>
              <Form method="post">
                <FormLayout>
                  <Checkbox label="Send the report" checked={v.enabled} onChange={(x) => setV({ ...v, enabled: x })} />
                  {v.enabled && <input type="hidden" name="enabled" value="on" />}
                  <FormLayout.Group>
                    <Select
                      label="Frequency"
                      name="frequency"
                      value={v.frequency}
                      options={[
                        { label: "Daily (yesterday)", value: "daily" },
                        { label: "Weekly (the 7 days before)", value: "weekly" },
                      ]}
                      onChange={(x) => setV({ ...v, frequency: x })}
                      error={errors.frequency}
                    />
                    <Select
                      label="Day"
                      name="weekday"
                      disabled={v.frequency !== "weekly"}
                      value={v.weekday}
                      options={WEEKDAYS.map((d, i) => ({ label: d, value: String(i + 1) }))}
                      onChange={(x) => setV({ ...v, weekday: x })}
                      error={errors.weekday}
                    />
                    <Select
                      label="Time"
                      name="hour"
                      value={v.hour}
                      options={Array.from({ length: 24 }, (_, h) => ({
                        label: `${String(h).padStart(2, "0")}:00`,
                        value: String(h),
                      }))}
                      onChange={(x) => setV({ ...v, hour: x })}
                      error={errors.hour}
                      helpText={`In your time zone, ${timezone} (change it in notification settings).`}
                    />
                  </FormLayout.Group>
                  {v.frequency !== "weekly" && <input type="hidden" name="weekday" value={v.weekday} />}
                  <TextField
                    label="Recipients"
                    name="recipients"
                    value={v.recipients}
                    onChange={(x) => setV({ ...v, recipients: x })}
                    error={errors.recipients}
                    helpText="E-mail addresses separated by commas (up to 10)."
                    autoComplete="email"
                    multiline={2}
                  />
                  <InlineStack align="end">
                    <Button submit variant="primary" loading={nav.state === "submitting"}>
                      Save
                    </Button>
                  </InlineStack>
                </FormLayout>
              </Form>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection id="runs" title="Reports sent" description="The last 20 periods, newest first.">
            <Card padding="0">
              <IndexTable
                resourceName={{ singular: "report", plural: "reports" }}
                itemCount={runs.length}
                selectable={false}
                headings={[{ title: "Period" }, { title: "Status" }, { title: "Sent" }, { title: "To" }]}
                emptyState={
                  <Box padding="400">
                    <Text as="p" tone="subdued">
                      No report sent yet.
                    </Text>
                  </Box>
                }
              >
                {runs.map((r, i) => (
                  <IndexTable.Row id={r.id} key={r.id} position={i}>
                    <IndexTable.Cell>{r.periodKey.replace(":", " from ")}</IndexTable.Cell>
                    <IndexTable.Cell>
                      <Badge tone={r.status === "sent" ? "success" : r.status === "failed" ? "critical" : "info"}>
                        {r.status}
                      </Badge>
                      {r.error ? (
                        <Text as="span" variant="bodySm" tone="critical">
                          {` ${r.error}`}
                        </Text>
                      ) : null}
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <Time value={r.sentAt} never="—" />
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <Text as="span" variant="bodySm" breakWord>
                        {r.recipients.join(", ")}
                      </Text>
                    </IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
            </Card>
          </Layout.AnnotatedSection>
        </Layout>
      </BlockStack>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Scheduled reports" error={useRouteError()} />;
}
