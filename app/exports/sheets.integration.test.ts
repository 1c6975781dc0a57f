/**
 * Google Sheets export with the real `googleapis` client pointed (rootUrl) at a local fake of the Sheets
 * v4 API and Google's token endpoint: OAuth consent → code exchange → refresh token stored encrypted;
 * every export refreshes the access token with it; spreadsheet created with frozen, bold headers; after a
 * sync only the changed rows are written, in one debounced values.batchUpdate; grid growth; service
 * accounts (self-signed JWT); revoked access marks the connection in error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import prisma from "../db.server";
import { startWorker, type WorkerHandle } from "../jobs/worker.server";
import { stopBoss } from "../jobs/queue.server";
import { waitFor } from "../../tests/harness/world";
import { startSheetsFake, type SheetsFake } from "../../tests/fakes/sheets/index";
import { createTestItem, createTestShop, setLevel } from "../notify/test-shop";
import { signalStockChanged } from "../notify/stock-watch.server";
import { completeGoogleOAuth, connectServiceAccount, googleConsentUrl, startGoogleOAuth } from "./google.server";
import { syncSheet } from "./sheets.server";

let fake: SheetsFake;
let worker: WorkerHandle;

beforeAll(async () => {
  fake = await startSheetsFake();
  Object.assign(process.env, {
    SYNCFLOW_QUEUE_SCHEMA: "pgboss_test_sheets",
    GOOGLE_CLIENT_ID: fake.clientId,
    GOOGLE_CLIENT_SECRET: fake.clientSecret,
    GOOGLE_API_ROOT_URL: fake.url,
    GOOGLE_OAUTH_BASE: fake.url,
    SHOPIFY_APP_URL: "http://127.0.0.1:9",
    SHEETS_DEBOUNCE_S: "1",
  });
  worker = await startWorker();
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await stopBoss();
  await fake?.close();
});

/** A shop with 3 items and one WooCommerce store listing them. */
async function shopWithStore() {
  const shop = await createTestShop("sheets", {}, "Sheets Outfitters");
  const channel = await prisma.channel.create({
    data: { shopId: shop.id, kind: "woocommerce", name: "Woo Store 1", baseUrl: `http://woo-${shop.id}.test` },
  });
  const items = [];
  for (const [sku, q] of [
    ["BEANIE", 10],
    ["=CAP", 7],
    ["BELT", 3],
  ] as const) {
    const item = await createTestItem(shop.id, sku, q, `Title ${sku}`);
    await prisma.listing.create({
      data: {
        shopId: shop.id,
        channelId: channel.id,
        itemId: item.id,
        externalId: `p-${sku}`,
        productId: `p-${sku}`,
        title: sku,
        productType: "simple",
        matchStatus: "linked",
        manageStock: true,
        lastObservedQuantity: q,
        lastObservedAt: new Date(),
      },
    });
    items.push(item);
  }
  return { shop, channel, items };
}

async function connectWithGoogle(shopId: string) {
  const startUrl = new URL(await startGoogleOAuth(shopId));
  expect(startUrl.pathname).toBe("/sheets/oauth/start");
  const authUrl = new URL((await googleConsentUrl(startUrl.searchParams.get("state")!))!);
  expect(authUrl.origin).toBe(fake.url);
  expect(authUrl.searchParams.get("access_type")).toBe("offline");
  expect(authUrl.searchParams.get("scope")).toBe("https://www.googleapis.com/auth/drive.file");
  expect(authUrl.searchParams.get("redirect_uri")).toBe("http://127.0.0.1:9/sheets/oauth/callback");
  // The merchant consents; Google redirects to our callback with code + state.
  const consent = await fetch(authUrl, { redirect: "manual" });
  const back = new URL(consent.headers.get("location")!);
  await completeGoogleOAuth(back.searchParams.get("code")!, back.searchParams.get("state")!);
}

describe("Google Sheets export", () => {
  it("connects with OAuth (refresh token encrypted), creates a formatted spreadsheet and writes every row", async () => {
    const { shop } = await shopWithStore();
    await connectWithGoogle(shop.id);
    const conn = await prisma.sheetConnection.findUniqueOrThrow({ where: { shopId: shop.id } });
    expect(conn.status).toBe("connected");
    expect(conn.credentialsEnc).toMatch(/^v2:/);
    expect(conn.credentialsEnc).not.toContain("fake-refresh");
    await expect(completeGoogleOAuth("4/whatever", "reused-state")).rejects.toThrow(/expired or was already used/);

    const tokenCalls = fake.tokenRequests.length;
    const res = await syncSheet(shop.id);
    expect(res).toMatchObject({ full: true, inventoryRows: 3 });
    // Refresh path: the stored refresh token bought a fresh access token for the API calls.
    const refresh = fake.tokenRequests.slice(tokenCalls).find((t) => t.grant_type === "refresh_token");
    expect(refresh).toMatchObject({ client_id: fake.clientId, client_secret: fake.clientSecret });
    expect(refresh!.refresh_token).toMatch(/^1\/\/fake-refresh-/);

    const after = await prisma.sheetConnection.findUniqueOrThrow({ where: { shopId: shop.id } });
    const inv = fake.sheet(after.spreadsheetId!, "Inventory")!;
    const ord = fake.sheet(after.spreadsheetId!, "Orders")!;
    expect(fake.spreadsheets.get(after.spreadsheetId!)!.title).toBe("SyncFlow – Sheets Outfitters");
    expect(inv).toMatchObject({ frozenRowCount: 1, headerBold: true });
    expect(ord).toMatchObject({ frozenRowCount: 1, headerBold: true });
    expect(inv.rows[0]).toEqual(["SKU", "Title", "Shopify available", "Woo Store 1", "Last sync"]);
    expect(inv.rows.slice(1).map((r) => r.slice(0, 4))).toEqual([
      ["=CAP", "Title =CAP", 7, 7], // RAW: stays text
      ["BEANIE", "Title BEANIE", 10, 10],
      ["BELT", "Title BELT", 3, 3],
    ]);
    expect(ord.rows[0]).toEqual([
      "Order",
      "Store",
      "Placed at",
      "Status",
      "Customer",
      "Items",
      "Units",
      "Total",
      "Currency",
    ]);
    expect(after.lastExportAt).not.toBeNull();
    expect(fake.calls.every((c) => c.auth === "oauth")).toBe(true);
  });

  it("after sync work, updates only the changed rows in one debounced call", async () => {
    const { shop, channel, items } = await shopWithStore();
    await connectWithGoogle(shop.id);
    await syncSheet(shop.id);
    const conn = await prisma.sheetConnection.findUniqueOrThrow({ where: { shopId: shop.id } });
    const callsBefore = fake.calls.filter((c) => c.path.includes(conn.spreadsheetId!)).length;

    const belt = items[2]!;
    await setLevel(shop.id, belt.id, 1);
    await prisma.listing.updateMany({
      where: { channelId: channel.id, itemId: belt.id },
      data: { lastObservedQuantity: 1 },
    });
    const order = await prisma.order.create({
      data: {
        shopId: shop.id,
        channelId: channel.id,
        externalId: "1001",
        number: "1001",
        status: "processing",
        placedAt: new Date(),
        currency: "USD",
        totalPrice: "18.00",
        customerName: "Ada Lovelace",
        lines: { create: [{ externalLineId: "l1", sku: "BELT", itemId: belt.id, title: "Belt", quantity: 2 }] },
      },
    });
    // A burst of sync jobs signals three times: one export.
    await signalStockChanged(shop.id);
    await signalStockChanged(shop.id);
    await signalStockChanged(shop.id);
    await waitFor(
      "exported",
      async () => {
        const c = await prisma.sheetConnection.findUniqueOrThrow({ where: { shopId: shop.id } });
        return c.exportedLedgerId > conn.exportedLedgerId;
      },
      15_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const calls = fake.calls.filter((c) => c.path.includes(conn.spreadsheetId!)).slice(callsBefore);
    expect(calls.map((c) => c.path)).toEqual([`/v4/spreadsheets/${conn.spreadsheetId}/values:batchUpdate`]);
    const ranges = calls[0]!.body.data.map((d: { range: string }) => d.range);
    expect(ranges).toEqual(["Inventory!A4:E4", "Orders!A2:I2"]);
    const inv = fake.sheet(conn.spreadsheetId!, "Inventory")!;
    expect(inv.rows[3]!.slice(0, 4)).toEqual(["BELT", "Title BELT", 1, 1]);
    expect(fake.sheet(conn.spreadsheetId!, "Orders")!.rows[1]).toEqual([
      "1001",
      "Woo Store 1",
      order.placedAt.toISOString(),
      "processing",
      "Ada Lovelace",
      "2x BELT",
      2,
      "18",
      "USD",
    ]);
  });

  it("grows the grid for new rows, and a full rewrite on demand keeps row order", async () => {
    const { shop } = await shopWithStore();
    await connectWithGoogle(shop.id);
    await syncSheet(shop.id);
    const conn = await prisma.sheetConnection.findUniqueOrThrow({ where: { shopId: shop.id } });
    const inv = fake.sheet(conn.spreadsheetId!, "Inventory")!;
    inv.rowCount = 4; // as if the sheet had been shrunk by hand
    await prisma.sheetConnection.update({ where: { id: conn.id }, data: { inventoryGridRows: 4 } });
    await createTestItem(shop.id, "AAA-NEW", 2);
    const res = await syncSheet(shop.id);
    expect(res).toMatchObject({ full: false, inventoryRows: 1, requests: 2 });
    expect(inv.rowCount).toBeGreaterThan(5);
    expect(inv.rows[4]![0]).toBe("AAA-NEW"); // appended
    expect(await syncSheet(shop.id, { full: true })).toMatchObject({ full: true, inventoryRows: 4 });
    expect(inv.rows.slice(1, 5).map((r) => r[0])).toEqual(["=CAP", "AAA-NEW", "BEANIE", "BELT"]);
  });

  it("works with a pasted service-account key (self-signed JWT) on an existing spreadsheet", async () => {
    const { shop } = await shopWithStore();
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const email = "syncflow-export@merchant-project.iam.gserviceaccount.com";
    fake.trustServiceAccount(email, publicKey.export({ type: "spki", format: "pem" }).toString());
    // The merchant's own spreadsheet, shared with the service account.
    const created = await (
      await fetch(`${fake.url}/v4/spreadsheets`, {
        method: "POST",
        headers: { Authorization: "Bearer none" },
        body: "{}",
      })
    ).status;
    expect(created).toBe(401);
    const rt = fake.issueRefreshToken();
    const tok = await (
      await fetch(`${fake.url}/token`, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: rt,
          client_id: fake.clientId,
          client_secret: fake.clientSecret,
        }),
      })
    ).json();
    const ss = await (
      await fetch(`${fake.url}/v4/spreadsheets`, {
        method: "POST",
        headers: { Authorization: `Bearer ${tok.access_token}` },
        body: JSON.stringify({ properties: { title: "Mine" } }),
      })
    ).json();
    const key = JSON.stringify({
      type: "service_account",
      client_email: email,
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      private_key_id: "k1",
    });
    await expect(connectServiceAccount(shop.id, "{not json", ss.spreadsheetId)).rejects.toThrow(/not valid JSON/);
    await connectServiceAccount(shop.id, key, `https://docs.google.com/spreadsheets/d/${ss.spreadsheetId}/edit#gid=0`);
    const n = fake.calls.length;
    expect(await syncSheet(shop.id)).toMatchObject({ full: true, inventoryRows: 3 });
    expect(fake.calls.slice(n).every((c) => c.auth === "service_account")).toBe(true);
    expect(fake.sheet(ss.spreadsheetId, "Inventory")).toMatchObject({ frozenRowCount: 1, headerBold: true });
    expect(fake.sheet(ss.spreadsheetId, "Inventory")!.rows[2]![0]).toBe("BEANIE");
  });

  it("marks the connection in error when Google revokes access (no retry storm)", async () => {
    const { shop } = await shopWithStore();
    await connectWithGoogle(shop.id);
    await syncSheet(shop.id);
    fake.revokeAll();
    await setLevel(shop.id, (await prisma.catalogItem.findFirstOrThrow({ where: { shopId: shop.id } })).id, 0);
    expect(await syncSheet(shop.id)).toEqual({ skipped: "auth error" });
    const conn = await prisma.sheetConnection.findUniqueOrThrow({ where: { shopId: shop.id } });
    expect(conn.status).toBe("error");
    expect(conn.lastError).toMatch(/Connect Google Sheets again/);
  });
});
