/**
 * The admin's view of "every sales channel" (decision 200): the read models, exports and alerts select stores as
 * every kind but the record's (`kind != RECORD_KIND`, as the engine does, decision 180) and name each by its kind's
 * registry label, so a new kind (a retailer Shopify store) appears everywhere a WooCommerce store does without a
 * change here. What only some kinds can do is asked of the kind's declared capabilities, never of its name.
 */
import { RECORD_KIND } from "../channels/channel";
import { salesChannelKind, salesChannelLabel } from "../channels/registry.server";

/** Prisma `Channel` filter: every sales channel of a shop (any kind but the record's). Spread into a `where`. */
export const SALES_CHANNELS = { kind: { not: RECORD_KIND } };

/** Whether a stored `Channel.kind` is a sales channel (not the record). */
export const isSalesChannelKind = (kind: string): boolean => kind !== RECORD_KIND;

/** The name the merchant reads for a stored `Channel.kind` ("WooCommerce", "Shopify retailer", "Shopify (record)"). */
export function kindLabel(kind: string): string {
  return kind === RECORD_KIND ? "Shopify (record)" : salesChannelLabel(kind);
}

/**
 * Whether stores of `kind` accept per-listing price and title overrides (`SalesChannel.updateListingDetails`,
 * declared as the `listingDetails` capability): WooCommerce stores do; retailer Shopify shops and the record do not.
 */
export function acceptsListingDetails(kind: string): boolean {
  return salesChannelKind(kind)?.declared.listingDetails === true;
}
