/**
 * What SyncFlow's Shopify Flow actions do (route: app/routes/flow.actions.$action.tsx, which verifies Flow's
 * signature first). Input: the shop's domain, the action's path segment and Flow's `properties` (keys from
 * app/flow/definitions.ts). Output: an HTTP status and JSON body. Work is queued as a bulk run
 * (app/jobs/bulk.server.ts), so the answer is quick and the run shows on the Activity page.
 */
import prisma from "../db.server";
import { FLOW_ACTIONS } from "./definitions";
import { productItemIds } from "../models/product-block.server";
import { startBulkAction } from "../jobs/bulk.server";
import { salesChannels } from "../billing/billing.server";

export interface FlowActionResult {
  status: number;
  body: Record<string, unknown>;
}

const fail = (status: number, code: string, message: string): FlowActionResult => ({
  status,
  body: { ok: false, error: { code, message } },
});

/** Largest buffer a Flow action may set, in units. */
export const MAX_FLOW_BUFFER = 1000;

/** Runs action `name` (`sync-item` | `set-channel-buffer`) for the shop with Flow's `properties`. */
export async function runFlowAction(shopDomain: string, name: string, properties: unknown): Promise<FlowActionResult> {
  const props = (properties && typeof properties === "object" ? properties : {}) as Record<string, unknown>;
  const shop = await prisma.shop.findUnique({
    where: { domain: shopDomain },
    select: { id: true, domain: true, uninstalledAt: true },
  });
  if (!shop || shop.uninstalledAt) return fail(422, "unknown_shop", "SyncFlow is not installed on this shop.");
  const actor = `Shopify Flow (${shopDomain})`;

  if (`/flow/actions/${name}` === FLOW_ACTIONS.syncItem.path) {
    const id = props.product_id;
    if (
      !(typeof id === "number" && Number.isSafeInteger(id) && id > 0) &&
      !(typeof id === "string" && /^\d{1,20}$/.test(id))
    ) {
      return fail(422, "bad_product", "product_id must be the product's numeric id.");
    }
    const found = await productItemIds(shopDomain, `gid://shopify/Product/${id}`);
    if (!found?.itemIds.length) return fail(422, "unknown_product", `SyncFlow has not imported product ${id}.`);
    const runId = await startBulkAction({
      shopId: shop.id,
      action: "sync",
      channelIds: [],
      itemIds: found.itemIds,
      actor,
    });
    return { status: 200, body: { ok: true, runId, items: found.itemIds.length } };
  }

  if (`/flow/actions/${name}` === FLOW_ACTIONS.setBuffer.path) {
    const store = typeof props.store === "string" ? props.store.trim() : "";
    const units =
      typeof props.buffer_units === "string" && /^\d+$/.test(props.buffer_units)
        ? Number(props.buffer_units)
        : props.buffer_units;
    if (!store) return fail(422, "bad_store", "store must name a sales channel (its name or address).");
    if (!(typeof units === "number" && Number.isInteger(units) && units >= 0 && units <= MAX_FLOW_BUFFER))
      return fail(422, "bad_buffer", `buffer_units must be a whole number from 0 to ${MAX_FLOW_BUFFER}.`);
    const norm = (s: string) =>
      s
        .toLowerCase()
        .replace(/^https?:\/\//, "")
        .replace(/\/+$/, "");
    const matches = (await salesChannels(shop.id, shop.domain)).filter(
      (c) => norm(c.name) === norm(store) || norm(c.baseUrl) === norm(store),
    );
    if (matches.length !== 1)
      return fail(
        422,
        matches.length ? "ambiguous_store" : "unknown_store",
        matches.length
          ? `Several sales channels are called "${store}"; use its address.`
          : `No sales channel is called "${store}".`,
      );
    const channel = await prisma.channel.findUniqueOrThrow({
      where: { id: matches[0]!.id },
      select: { id: true, bufferPercent: true },
    });
    const runId = await startBulkAction({
      shopId: shop.id,
      action: "buffer",
      channelIds: [channel.id],
      itemIds: null,
      buffer: { units: units as number, percent: channel.bufferPercent },
      actor,
    });
    return { status: 200, body: { ok: true, runId, channelId: channel.id, bufferUnits: units } };
  }

  return fail(404, "unknown_action", `No Flow action "${name}".`);
}
