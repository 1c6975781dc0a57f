/**
 * End to end with the REAL hub: the plugin in a REAL WooCommerce 10.0.2 (./real-woocommerce.ts) connects to the
 * production build of the app
 * (tests/harness/app: real routes `api.woo.register|heartbeat|disconnect`, real PostgreSQL), which verifies the
 * store's key by calling it back (wc/v3/system_status + wc-syncflow/v1/capabilities), stores the channel and creates
 * its webhooks on the store; the hub then drives the store's exact stock endpoints with the credentials it stored.
 * (plugin.wordpress.test.ts covers the same flow against the STUB HUB, without the app build.)
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import prisma from "../../app/db.server";
import { stopBoss } from "../../app/jobs/queue.server";
import { createConnectionCode } from "../../app/sync/stores/registration.server";
import { salesAdapter } from "../../app/sync/stores/stores.server";
import { ChannelError } from "../../app/channels/channel";
import { startApp, type AppHandle } from "../harness/app";
import {
  AdminBrowser,
  describeRealWooCommerce,
  inputValue,
  startRealWooCommerce,
  type RealWooSite,
} from "./real-woocommerce";

vi.setConfig({ testTimeout: 120_000 });

let app: AppHandle;
let site: RealWooSite;
let admin: AdminBrowser;
let shopId: string;

describeRealWooCommerce("plugin ⇄ real hub, in a real WooCommerce", () => {
  beforeAll(async () => {
    // SyncFlow's scheduled actions run when the test asks; WooCommerce's webhook deliveries run on the loop.
    [app, site] = await Promise.all([startApp(), startRealWooCommerce({ runner: { excludeGroups: ["syncflow"] } })]);
    const shop = await prisma.shop.create({ data: { domain: `wp-${crypto.randomUUID().slice(0, 8)}.myshopify.com` } });
    shopId = shop.id;
    await prisma.location.create({ data: { shopId, gid: "gid://shopify/Location/1", name: "Warehouse" } });
    admin = new AdminBrowser(site);
    await admin.login("admin");
  }, 240_000);
  afterAll(async () => {
    await stopBoss();
    await Promise.all([site?.close(), app?.close()]);
  }, 60_000);

  const channelRow = () => prisma.channel.findFirstOrThrow({ where: { shopId, kind: "woocommerce" } });

  describe("connect, drive, heartbeat, disconnect", () => {
    it("connects with a code created by the hub; the hub verifies the key, stores the channel and creates its webhooks", async () => {
      const { code } = await createConnectionCode(shopId);
      const page = await admin.get("/wp-admin/admin.php?page=wc-settings&tab=syncflow");
      const r = await admin.post("/wp-admin/admin-post.php", {
        action: "syncflow_connect",
        _syncflow_connect_nonce: inputValue(page.html, "_syncflow_connect_nonce")!,
        syncflow_hub_url: app.url,
        syncflow_code: code,
      });
      expect(r.location).toContain("syncflow_result=ok");
      const channel = await channelRow();
      expect(channel, String(channel.statusReason)).toMatchObject({
        baseUrl: site.url,
        mode: "exact",
        status: "active",
        pluginVersion: "1.1.1",
      });
      const s = await site.control("GET", "/state");
      expect(s.options.syncflow_connection).toMatchObject({
        status: "connected",
        channel_id: channel.id,
        mode: "exact",
      });
      expect(s.webhooks.map((w: any) => w.topic).sort()).toEqual([
        "order.created",
        "order.updated",
        "product.created",
        "product.updated",
      ]);
      expect(s.webhooks.every((w: any) => w.delivery_url.endsWith(`/webhooks/woocommerce/${channel.id}`))).toBe(true);
      expect(new Set(s.webhook_secrets)).toEqual(new Set([s.options.syncflow_webhook_secret]));
    });

    it("the hub drives the store's stock endpoints with the credentials it stored", async () => {
      const adapter = salesAdapter(await channelRow());
      expect(await adapter.discoverCapabilities()).toMatchObject({ writeModel: "delta-cas" });
      const { id } = await site.control("POST", "/product", { sku: "real-hub-1", qty: 10 });
      expect(
        await adapter.writeQuantity({ op: "delta", listingId: String(id), delta: -4, idempotencyKey: "e2e:sale:1" }),
      ).toEqual({ before: 10, after: 6, replayed: false });
      const stale = (await adapter
        .writeQuantity({ op: "cas", listingId: String(id), expected: 10, quantity: 1, idempotencyKey: "e2e:cas:1" })
        .catch((e: unknown) => e)) as ChannelError;
      expect(stale).toBeInstanceOf(ChannelError);
      expect(stale.code).toBe("STALE");
      expect(stale.opts.current).toBe(6);
      expect(
        await adapter.writeQuantity({
          op: "cas",
          listingId: String(id),
          expected: 6,
          quantity: 8,
          idempotencyKey: "e2e:cas:1",
        }),
      ).toMatchObject({ before: 6, after: 8 });
      expect((await site.control("GET", "/stock?sku=real-hub-1")).stock_quantity).toBe(8);
    });

    it("the plugin's health check recognises the hub's webhooks and its signed heartbeat is accepted", async () => {
      const before = (await site.control("GET", "/state")).webhooks.map((w: any) => w.id).sort();
      await site.runActions({ group: "syncflow", hook: "syncflow_health_check" });
      const s = await site.control("GET", "/state");
      expect(s.webhooks.map((w: any) => w.id).sort()).toEqual(before); // nothing recreated
      expect(s.options.syncflow_health.last_heartbeat_error).toBe("");
      expect(s.options.syncflow_health.last_heartbeat_ok_gmt).toBeTruthy();
      expect((await channelRow()).lastHeartbeatAt).not.toBeNull();
    });

    it("disconnect from WordPress tells the hub", async () => {
      const page = await admin.get("/wp-admin/admin.php?page=wc-settings&tab=syncflow");
      const r = await admin.post("/wp-admin/admin-post.php", {
        action: "syncflow_disconnect",
        _syncflow_disconnect_nonce: inputValue(page.html, "_syncflow_disconnect_nonce")!,
      });
      expect(r.location).toContain("syncflow_result=ok");
      expect((await admin.get("/wp-admin/admin.php?page=wc-settings&tab=syncflow")).html).toContain(
        "The SyncFlow hub was notified",
      );
      expect((await channelRow()).status).toBe("disconnected");
    });
  });
});
