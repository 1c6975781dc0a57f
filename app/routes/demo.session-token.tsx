/**
 * Demo-only (`SYNCFLOW_MODE=demo`; 404 otherwise): a fresh session token for the demo shop, fetched by the
 * App Bridge shim's `shopify.idToken()` (public/demo/app-bridge-shim.js). Same-origin requests only.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { assertDemoMode, mintTokenForDemoShop } from "../models/demo-session.server";

/** `{ token, exp, shop }`, never cached; 403 for cross-site requests. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  assertDemoMode();
  const site = request.headers.get("sec-fetch-site");
  if (site && site !== "same-origin") return json({ error: "same-origin only" }, { status: 403 });
  const { shop, token, exp } = mintTokenForDemoShop();
  return json({ token, exp, shop }, { headers: { "Cache-Control": "no-store" } });
};
