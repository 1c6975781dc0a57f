/**
 * The demo's orders hub (issue 15; decision 244): turns order import and fulfilment pushback on for the demo's
 * WooCommerce store and retailer (the merchant approving the orders scope update on the emulated Shopify first), then
 * follows one order's journey — WooCommerce order → one central Shopify order → shipped from Shopify in two parts with
 * two tracking numbers → each reaching the WooCommerce order as a customer note — and measures it (ms).
 *
 * The demo plays the merchant here: it fulfils in the emulated central shop through the Admin GraphQL API as Shopify
 * Admin would (fulfillmentCreate on the order's fulfilment order). Everything else is the app's own worker at work.
 */
import type { World } from "../../tests/harness/world";
import type { RetailerShop } from "../../tests/harness/retailers";

/** Scopes the merchant approves for the orders hub (shopify.app.toml asks for them; decision 215). */
export const ORDER_SCOPES =
  "read_products,read_inventory,write_inventory,read_orders,write_orders,read_locations,write_merchant_managed_fulfillment_orders";

/** A journey step's outcome: ok, how long it took (ms), and why not when it did not happen. */
export interface StepResult {
  ok: boolean;
  ms: number;
  reason?: string;
}

/** Turns the orders hub on for the demo's WooCommerce store (and retailer), through the Settings page's own save. */
export async function turnOnOrdersHub(args: {
  world: World;
  shopId: string;
  wooChannelId: string;
  retailer: RetailerShop | null;
}): Promise<void> {
  const { saveOrderSettings } = await import("../../app/models/order-settings.server");
  args.world.shopify.control.grantScopes(args.world.shop, ORDER_SCOPES);
  const common = {
    importOrders: true,
    fromStatuses: [],
    orderLookbackHours: 24,
    note: null,
    notifyCustomer: false,
    pushFulfilments: true,
    fulfilmentLookbackHours: 24,
    notifySourceCustomer: true,
  };
  const woo = await saveOrderSettings(args.shopId, {
    ...common,
    channelId: args.wooChannelId,
    tags: ["demo"],
    billing: "customer",
    billingAddress: null,
  });
  if (!woo.ok) throw new Error(`order settings refused: ${JSON.stringify(woo.errors)}`);
  if (args.retailer) {
    args.world.shopify.control.grantScopes(args.retailer.domain, ORDER_SCOPES);
    const r = await saveOrderSettings(args.shopId, {
      ...common,
      channelId: args.retailer.channelId,
      tags: ["retailer"],
      billing: "fixed",
      billingAddress: {
        firstName: null,
        lastName: null,
        company: args.retailer.name,
        address1: "12 Nursery Lane",
        address2: null,
        city: "Leeds",
        provinceCode: null,
        zip: "LS1 4AP",
        countryCode: "GB",
        phone: null,
      },
    });
    if (!r.ok) throw new Error(`retailer order settings refused: ${JSON.stringify(r.errors)}`);
  }
}

/**
 * Waits until the order `externalId` of `channelId` is imported; ok when exactly one central order carries its key
 * and the central shop's own record of it was not stored as a second order. ms: placed (`placedAtMs`) → imported.
 */
export async function waitForImport(args: {
  world: World;
  channelId: string;
  externalId: string;
  placedAtMs: number;
  timeoutMs?: number;
}): Promise<StepResult & { centralOrderId: string | null }> {
  const { default: prisma } = await import("../../app/db.server");
  const { importKeyOf } = await import("../../app/sync/orders-hub/import.server");
  const deadline = Date.now() + (args.timeoutMs ?? 30_000);
  let row = null;
  while (Date.now() < deadline) {
    row = await prisma.order.findUnique({
      where: { channelId_externalId: { channelId: args.channelId, externalId: args.externalId } },
    });
    if (row?.importState === "imported" || row?.importState === "failed") break;
    await new Promise((r) => setTimeout(r, 25));
  }
  if (row?.importState !== "imported" || !row.importedAt || !row.centralOrderId)
    return {
      ok: false,
      ms: -1,
      centralOrderId: null,
      reason: `order ${args.externalId} not imported (${row?.importState ?? "no row"}${row?.importError ? `: ${row.importError}` : ""})`,
    };
  const ms = row.importedAt.getTime() - args.placedAtMs;
  await args.world.shopify.control.webhooksIdle(5000).catch(() => {});
  await new Promise((r) => setTimeout(r, 500));
  const key = importKeyOf(args.channelId, args.externalId);
  const central = args.world.shopify.control.state(args.world.shop).orders.filter((o) => o.sourceIdentifier === key);
  const echoes = await prisma.order.count({ where: { shopId: row.shopId, externalId: row.centralOrderId } });
  const ok = central.length === 1 && central[0]!.id === row.centralOrderId && echoes === 0;
  return {
    ok,
    ms,
    centralOrderId: row.centralOrderId,
    ...(ok ? {} : { reason: `${central.length} central orders for ${key}, ${echoes} echo rows` }),
  };
}

interface FulfilmentOrderNode {
  id: string;
  lineItems: { nodes: { id: string; remainingQuantity: number }[] };
}

/**
 * Ships the central order in two parts (one unit each, tracking numbers `numbers[0]` and `numbers[1]`, UPS) as the
 * merchant would in Shopify Admin, and waits for each to reach the WooCommerce order `wooOrderId` as a customer note.
 * ok when each tracking number is in exactly one customer note and the order's row says tracking was delivered.
 * ms: per part, fulfilment created → its note at the store.
 */
export async function shipInTwoParts(args: {
  world: World;
  shopId: string;
  orderRowId: string;
  centralOrderId: string;
  wooOrderId: number;
  numbers: [string, string];
  timeoutMs?: number;
}): Promise<StepResult & { partsMs: number[] }> {
  const { default: prisma } = await import("../../app/db.server");
  // The merchant's Shopify Admin: the emulated shop's Admin GraphQL API with the shop's own token.
  const request = async <T>(query: string, variables: Record<string, unknown>): Promise<{ data: T }> => {
    const res = await fetch(`${args.world.shopify.url}/store/${args.world.shop}/admin/api/2026-10/graphql.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": args.world.accessToken },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data: T; errors?: { message: string }[] };
    if (!res.ok || body.errors?.length)
      throw new Error(`Shopify Admin answered ${res.status}: ${JSON.stringify(body.errors)}`);
    return body;
  };
  const woo = args.world.woo[0]!;
  const notesWith = (n: string) =>
    woo.store.orderNotes(args.wooOrderId, "customer").filter((x) => String(x.note).includes(n)).length;
  const partsMs: number[] = [];
  for (const number of args.numbers) {
    const fo = (
      await request<{ order: { fulfillmentOrders: { nodes: FulfilmentOrderNode[] } } }>(
        `query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes { id lineItems(first: 20) { nodes { id remainingQuantity } } } } } }`,
        { id: args.centralOrderId },
      )
    ).data.order.fulfillmentOrders.nodes.find((n) => n.lineItems.nodes.some((l) => l.remainingQuantity > 0));
    const line = fo?.lineItems.nodes.find((l) => l.remainingQuantity > 0);
    if (!fo || !line) return { ok: false, ms: -1, partsMs, reason: "nothing left to fulfil on the central order" };
    const t = Date.now();
    const created = await request<{ fulfillmentCreate: { userErrors: { message: string }[] } }>(
      `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { message } } }`,
      {
        f: {
          lineItemsByFulfillmentOrder: [
            { fulfillmentOrderId: fo.id, fulfillmentOrderLineItems: [{ id: line.id, quantity: 1 }] },
          ],
          trackingInfo: { company: "UPS", number, url: `https://www.ups.com/track?tracknum=${number}` },
          notifyCustomer: false,
        },
      },
    );
    const errs = created.data.fulfillmentCreate.userErrors;
    if (errs.length) return { ok: false, ms: -1, partsMs, reason: `fulfillmentCreate: ${errs[0]!.message}` };
    const deadline = Date.now() + (args.timeoutMs ?? 30_000);
    while (Date.now() < deadline && notesWith(number) === 0) await new Promise((r) => setTimeout(r, 10));
    if (notesWith(number) === 0)
      return { ok: false, ms: -1, partsMs, reason: `tracking ${number} did not reach the WooCommerce order` };
    partsMs.push(Date.now() - t);
  }
  // Late and duplicate deliveries settle, then: each number in exactly one customer note; the row says delivered.
  await args.world.shopify.control.webhooksIdle(5000).catch(() => {});
  await new Promise((r) => setTimeout(r, 1500));
  const once = args.numbers.every((n) => notesWith(n) === 1);
  const row = await prisma.order.findUnique({ where: { id: args.orderRowId } });
  const ok = once && !!row?.trackingDeliveredAt;
  return {
    ok,
    ms: Math.max(...partsMs),
    partsMs,
    ...(ok
      ? {}
      : {
          reason: `notes per number ${args.numbers.map(notesWith).join("/")}, trackingDeliveredAt ${row?.trackingDeliveredAt?.toISOString() ?? "null"}`,
        }),
  };
}
