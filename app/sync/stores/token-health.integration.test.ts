/**
 * A shop whose offline token Shopify refuses to refresh is shown as failing, once: the real app build,
 * the emulated Shopify's token endpoint (refresh grant, `invalid_grant` for an unknown refresh token) and
 * the Shopify library's own refresh (`unauthenticated.admin`). A good refresh clears the status.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { startInstalledShop, type AppHandle } from "../../../tests/harness/app";
import type { ShopifyEmulator } from "../../../tests/emulators/shopify/index";
import { offlineToken, TokenRefreshError, TOKEN_REFUSED_REASON } from "./stores.server";

const SHOP = "token-health.myshopify.com";
let app: AppHandle;
let shopify: ShopifyEmulator;

beforeAll(async () => {
  ({ shopify, app } = await startInstalledShop(SHOP, "Token Health"));
}, 120_000);

afterAll(async () => {
  await app?.close();
  await shopify?.close();
});

const shopifyChannel = () => prisma.channel.findFirstOrThrow({ where: { kind: "shopify", shop: { domain: SHOP } } });
const unhealthyEvents = async () =>
  prisma.domainEvent.count({ where: { type: "store.unhealthy", shop: { domain: SHOP } } });

describe("offline token health", () => {
  it("marks the Shopify store failing once when the refresh is refused, and active again after a good refresh", async () => {
    const session = await prisma.session.findFirstOrThrow({ where: { shop: SHOP, isOnline: false } });
    expect(session.refreshToken).toBeTruthy();
    const good = session.refreshToken;

    // The access token expired and the stored refresh token was revoked.
    await prisma.session.update({
      where: { id: session.id },
      data: { expires: new Date(Date.now() - 60_000), refreshToken: "shprt_revoked" },
    });
    await expect(offlineToken(SHOP)).rejects.toBeInstanceOf(TokenRefreshError);
    const failing = await shopifyChannel();
    expect(failing.status).toBe("failing");
    expect(failing.statusReason).toContain(TOKEN_REFUSED_REASON);
    expect(await unhealthyEvents()).toBe(1);

    // Every later job fails the same way, but the merchant hears about it once.
    await expect(offlineToken(SHOP)).rejects.toBeInstanceOf(TokenRefreshError);
    expect(await unhealthyEvents()).toBe(1);

    // A valid refresh token (the merchant opened the app again): the library refreshes and the status clears.
    await prisma.session.update({ where: { id: session.id }, data: { refreshToken: good } });
    const token = await offlineToken(SHOP);
    expect(token).toMatch(/^shpat_/);
    expect((await shopifyChannel()).status).toBe("active");
    expect((await prisma.session.findFirstOrThrow({ where: { id: session.id } })).expires!.getTime()).toBeGreaterThan(
      Date.now(),
    );
  });
});
