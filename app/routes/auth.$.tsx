/**
 * Shopify auth paths (template spot): `/auth/session-token` (bounce page), `/auth/exit-iframe`, OAuth
 * callbacks — all handled by `authenticate.admin`. (The demo answers its own shop's bounce page in the demo
 * server entry, scripts/lib/demo-routes.ts; nothing of the demo is in this build.)
 */
import type { HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { useRouteError } from "@remix-run/react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { authenticate } from "../shopify.server";

/** Runs Shopify's auth flow; returns nothing when it completes (it always throws a response otherwise). */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  await authenticate.admin(request);
  return null;
};

export function ErrorBoundary() {
  return boundary.error(useRouteError());
}

export const headers: HeadersFunction = (headersArgs) => boundary.headers(headersArgs);
