/** Loading skeleton and error states shared by the admin pages. */
import { isRouteErrorResponse } from "@remix-run/react";
import {
  Banner,
  BlockStack,
  Card,
  Layout,
  Page,
  SkeletonBodyText,
  SkeletonDisplayText,
  SkeletonPage,
  Text,
} from "@shopify/polaris";

/** Full-page skeleton shown while a page's loader runs (client-side navigation between pages). */
export function PageSkeleton({ title }: { title?: string }) {
  return (
    <SkeletonPage title={title} primaryAction>
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="400">
              <SkeletonDisplayText size="small" />
              <SkeletonBodyText lines={6} />
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </SkeletonPage>
  );
}

/** Message and next step for an error caught by a page's ErrorBoundary. */
export function describeRouteError(error: unknown): { title: string; message: string } {
  if (isRouteErrorResponse(error)) {
    const data = error.data as { message?: string } | string | undefined;
    const detail = typeof data === "string" ? data : data?.message;
    if (error.status === 404)
      return { title: "Not found", message: detail ?? "This page or record does not exist for your shop." };
    if (error.status === 401 || error.status === 403) {
      return {
        title: "Your session expired",
        message: "Reload the app from Shopify Admin → Apps → SyncFlow to sign in again.",
      };
    }
    return {
      title: `Something went wrong (${error.status})`,
      message: detail ?? "Reload the page. If it keeps failing, check the SyncFlow server logs.",
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    title: "This page could not load",
    message: `${message}. Reload the page; if it keeps failing, check that the database is reachable and see the SyncFlow server logs.`,
  };
}

/** A page-level error: a critical banner saying what happened and what to do. */
export function PageError({ title, error }: { title: string; error: unknown }) {
  const d = describeRouteError(error);
  return (
    <Page title={title}>
      <Banner tone="critical" title={d.title}>
        <Text as="p">{d.message}</Text>
      </Banner>
    </Page>
  );
}
