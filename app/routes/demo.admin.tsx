/**
 * Demo-only admin entry (`SYNCFLOW_MODE=demo`; 404 otherwise): plays the part of Shopify Admin opening the
 * embedded app — mints a session token for `SYNCFLOW_DEMO_SHOP` and redirects to
 * `/app?embedded=1&shop&host&id_token` (or `?return=/app/...`). See docs/decisions/050-demo-admin-entry.md.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { assertDemoMode, demoEmbeddedUrl, mintTokenForDemoShop, safeAppPath } from "../models/demo-session.server";

/** Redirects into the embedded app as the demo shop's staff user. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  assertDemoMode();
  const { shop, token } = mintTokenForDemoShop();
  const path = safeAppPath(new URL(request.url).searchParams.get("return"));
  return redirect(demoEmbeddedUrl(path, shop, token), { headers: { "Cache-Control": "no-store" } });
};
