/**
 * Shopify auth paths (template spot): `/auth/session-token` (bounce page), `/auth/exit-iframe`, OAuth
 * callbacks — all handled by `authenticate.admin`. Demo mode only: the bounce page cannot load App
 * Bridge offline, so it is answered server-side with a freshly minted token for the demo shop.
 */
import type { HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { useRouteError } from "@remix-run/react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { authenticate } from "../shopify.server";
import { demoEmbeddedUrl, demoShop, isDemoMode, mintTokenForDemoShop } from "../models/demo-session.server";

/** Runs Shopify's auth flow; returns nothing when it completes (it always throws a response otherwise). */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const url = new URL(request.url);
  if (isDemoMode() && url.pathname === "/auth/session-token" && url.searchParams.get("shop") === demoShop()) {
    const reload = url.searchParams.get("shopify-reload");
    const appUrl = (process.env.SHOPIFY_APP_URL ?? url.origin).replace(/\/$/, "");
    let path = "/app";
    if (reload) {
      try {
        const target = new URL(reload);
        if (target.origin === new URL(appUrl).origin) path = `${target.pathname}${target.search}`;
      } catch {
        // keep /app
      }
    }
    const { shop, token } = mintTokenForDemoShop();
    throw redirect(demoEmbeddedUrl(path, shop, token));
  }
  await authenticate.admin(request);
  return null;
};

export function ErrorBoundary() {
  return boundary.error(useRouteError());
}

export const headers: HeadersFunction = (headersArgs) => boundary.headers(headersArgs);
