/** Read-side queries of the channels page (app/routes/app.channels.tsx). Every query filters on shopId. */
import prisma from "../db.server";
import { kindLabel } from "./sales-channels.server";

/** A connected store row for the channels list. Dates are ISO strings. Credentials are never selected. */
export interface ChannelRow {
  id: string;
  kind: string;
  /** The store's kind as the merchant reads it ("Shopify (record)", "WooCommerce", "Shopify retailer"). */
  kindLabel: string;
  name: string;
  baseUrl: string;
  status: string;
  statusReason: string | null;
  mode: string;
  /** Exact mode with allocations (decision 008). */
  allocationEnabled: boolean;
  /** Safety buffer (units, %) a buffered store shows below the record. */
  bufferUnits: number;
  bufferPercent: number;
  lastSyncAt: string | null;
  lastWebhookAt: string | null;
  createdAt: string;
  /**
   * The store's plugin signs calls the old way (1.0.0: no timestamp/nonce) and the hub accepted one within the last
   * 7 days under the operator's grace period (docs/decisions/146): the page asks the owner to update the plugin.
   */
  pluginUpdateNeeded: boolean;
}

/** All stores of `shopId`, the Shopify record first, then the sales channels by kind, oldest first. */
export async function listChannels(shopId: string): Promise<ChannelRow[]> {
  const rows = await prisma.channel.findMany({
    where: { shopId },
    orderBy: [{ kind: "asc" }, { createdAt: "asc" }],
    select: {
      id: true,
      kind: true,
      name: true,
      baseUrl: true,
      status: true,
      statusReason: true,
      mode: true,
      allocationEnabled: true,
      bufferUnits: true,
      bufferPercent: true,
      lastSyncAt: true,
      lastWebhookAt: true,
      createdAt: true,
      legacySignedCallAt: true,
    },
  });
  return rows.map(({ legacySignedCallAt, ...r }) => ({
    ...r,
    kindLabel: kindLabel(r.kind),
    pluginUpdateNeeded: !!legacySignedCallAt && Date.now() - legacySignedCallAt.getTime() < 7 * 86_400_000,
    lastSyncAt: r.lastSyncAt?.toISOString() ?? null,
    lastWebhookAt: r.lastWebhookAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
  }));
}
