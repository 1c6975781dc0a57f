/**
 * "How this is calculated": the forecast method's decision record (docs/decisions/294-demand-forecast-method.md), shipped
 * with the app (bundled as text at build time) so the Reorder page can link to the formulas it uses.
 */
import type { MetaFunction } from "@remix-run/node";
import { useRouteError } from "@remix-run/react";
import { Box, Card, Page, Text } from "@shopify/polaris";
import { TitleBar } from "@shopify/app-bridge-react";
import method from "../../docs/decisions/294-demand-forecast-method.md?raw";
import { PageError } from "../components/PageStates";

export const meta: MetaFunction = () => [{ title: "SyncFlow · Forecast method" }];

export default function ForecastMethod() {
  return (
    <Page title="How the forecast is calculated" backAction={{ content: "Reorder", url: "/app/reorder" }}>
      <TitleBar title="Forecast method" />
      <Card>
        <Box>
          <Text as="p" tone="subdued" variant="bodySm">
            Decision record 294 (docs/decisions/294-demand-forecast-method.md)
          </Text>
          <pre style={{ whiteSpace: "pre-wrap", fontFamily: "inherit", fontSize: "14px", lineHeight: 1.5 }}>
            {method}
          </pre>
        </Box>
      </Card>
    </Page>
  );
}

export function ErrorBoundary() {
  return <PageError title="Forecast method" error={useRouteError()} />;
}
