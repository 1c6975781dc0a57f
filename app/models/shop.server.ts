/**
 * The authenticated shop of a request. Every loader/action of the admin UI goes through
 * {@link requireShop}: it authenticates the embedded admin request (session token) and resolves the
 * `Shop` row of the session's domain, whose `id` then filters every query (tenant isolation).
 */
import { json } from "@remix-run/node";
import { authenticate } from "../shopify.server";
import prisma from "../db.server";
import { demoReentryRedirect } from "./demo-session.server";

/** Shopify's Admin API client of the session (GraphQL). */
export type AdminContext = Awaited<ReturnType<typeof authenticate.admin>>["admin"];

/** The shop fields the admin pages need. */
export interface ShopContext {
  id: string;
  domain: string;
  name: string | null;
  lowStockThreshold: number;
  reconcileEveryMin: number;
  currency: string | null;
}

/**
 * Authenticate an admin request and load its shop.
 * Throws Shopify's auth responses (redirect/bounce/401) unchanged, and a 404 JSON response when the
 * shop has no `Shop` row yet (install hook not run), with what to do about it.
 */
export async function requireShop(
  request: Request,
): Promise<{ shop: ShopContext; session: { shop: string; id: string }; admin: AdminContext }> {
  demoReentryRedirect(request);
  const { session, admin } = await authenticate.admin(request);
  const shop = await prisma.shop.findUnique({
    where: { domain: session.shop },
    select: { id: true, domain: true, name: true, lowStockThreshold: true, reconcileEveryMin: true, currency: true },
  });
  if (!shop) {
    throw json(
      {
        message: `SyncFlow has no record of ${session.shop} yet. Open the app again from Shopify Admin → Apps to finish installing it.`,
      },
      { status: 404 },
    );
  }
  return { shop, session: { shop: session.shop, id: session.id }, admin };
}
