/**
 * Per-store overrides of a listing's price and title (docs/decisions/054-listing-overrides.md).
 *
 * Shopify is the record and has no overrides: an override changes one WooCommerce store's listing only.
 * `saveListingOverrides` validates, writes the change to the store first (REST PUT through the
 * WooCommerce adapter) and stores the override only once the store accepted it, so SyncFlow never
 * claims an override the store does not show. Every attempt is recorded as a DomainEvent
 * (`listing.override_saved` / `listing.override_failed`, not notified). Clearing the title restores the
 * catalog item's title on the store; clearing the price only stops overriding, because SyncFlow does not
 * store Shopify's price (the store keeps the price it has until someone changes it in WooCommerce).
 * Every query is scoped by shopId: a shop can never read or change another shop's listing.
 */
import type { Prisma } from "@prisma/client";
import prisma from "../db.server";
import { acceptsListingDetails, isSalesChannelKind } from "./sales-channels.server";
import { ChannelError } from "../channels/channel";
import { NotFoundError, salesChannelOf } from "../sync/stores/stores.server";

/** Longest title override accepted (characters, after trimming). */
export const TITLE_OVERRIDE_MAX = 200;
/** Largest price a Decimal(14, 2) column holds. */
const PRICE_MAX_INT_DIGITS = 12;

/** Form values: a string per field; empty (or null/undefined) clears the override. */
export interface OverrideInput {
  price?: string | null;
  title?: string | null;
}

/** Field errors, worded as what to do. */
export interface OverrideErrors {
  price?: string;
  title?: string;
}

/** Outcome of `saveListingOverrides` (JSON-safe, shown as a toast / field errors). */
export interface OverrideResult {
  ok: boolean;
  message: string;
  errors?: OverrideErrors;
  /** The overrides SyncFlow holds after the call (when the listing exists). */
  overrides?: { price: string | null; title: string | null };
}

/**
 * Parses and validates form values. Price: a decimal ≥ 0 with at most 2 decimals (normalised to 2),
 * title: at most TITLE_OVERRIDE_MAX characters; empty clears. `isVariation` refuses a title (a
 * WooCommerce variation has no name of its own).
 */
export function parseOverrideInput(
  input: OverrideInput,
  isVariation = false,
): { price: string | null; title: string | null; errors: OverrideErrors } {
  const errors: OverrideErrors = {};
  const rawPrice = (input.price ?? "").trim();
  let price: string | null = null;
  if (rawPrice !== "") {
    const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(rawPrice);
    const intDigits = m ? m[1]!.replace(/^0+(?=\d)/, "") : "";
    if (!m)
      errors.price =
        "Enter a price of 0 or more with at most 2 decimals, like 19.99 — or leave it empty to stop overriding.";
    else if (intDigits.length > PRICE_MAX_INT_DIGITS)
      errors.price = "That price is too large. Enter at most 12 digits before the decimal point.";
    else price = `${intDigits}.${(m[2] ?? "").padEnd(2, "0")}`;
  }
  const rawTitle = (input.title ?? "").trim();
  let title: string | null = null;
  if (rawTitle !== "") {
    if (isVariation)
      errors.title =
        "This listing is a variation: the store names it after its parent product and attributes. Leave the title empty, or rename the parent product in the store.";
    else if ([...rawTitle].length > TITLE_OVERRIDE_MAX)
      errors.title = `Shorten the title to ${TITLE_OVERRIDE_MAX} characters or fewer (it has ${[...rawTitle].length}).`;
    else if (/[\u0000-\u001f\u007f]/.test(rawTitle))
      errors.title = "Remove line breaks and control characters from the title.";
    else title = rawTitle;
  }
  return { price, title, errors };
}

/** What to tell the merchant when the store refused or did not answer. */
function storeErrorMessage(store: string, err: unknown): string {
  if (err instanceof NotFoundError)
    return `${store} is disconnected. Reconnect it on the Channels page, then save again.`;
  if (err instanceof ChannelError) {
    switch (err.code) {
      case "AUTH":
        return `${store} refused SyncFlow's API keys. Reconnect the store on the Channels page, then save again.`;
      case "NOT_FOUND":
        return `${store} no longer has this product. Run a reconciliation (Settings → Reconcile now) or link another listing.`;
      case "BAD_REQUEST":
      case "UNSUPPORTED":
        return `${store} rejected the change (${err.message}). Check the product in the store, then save again.`;
      default:
        return `${store} did not answer (${err.message}). Nothing changed in SyncFlow; save again in a minute.`;
    }
  }
  return `Could not update ${store} (${err instanceof Error ? err.message : String(err)}). Nothing changed in SyncFlow; save again in a minute.`;
}

/** Records one attempt (best effort: bookkeeping never fails the save). */
async function recordAttempt(
  shopId: string,
  type: "listing.override_saved" | "listing.override_failed",
  refs: { itemId: string | null; channelId: string },
  payload: Prisma.InputJsonValue,
) {
  try {
    await prisma.domainEvent.create({
      data: { shopId, type, itemId: refs.itemId, channelId: refs.channelId, payload },
    });
  } catch (err) {
    console.error(`[overrides] could not record ${type} for shop ${shopId}:`, err);
  }
}

/**
 * Saves the price/title overrides of the shop's listing `listingId` and writes them to its WooCommerce
 * store. Validation errors come back in `errors` without any write. A listing of another shop (or an
 * unknown id) is refused as not found. When the store refuses or does not answer, nothing is stored and
 * the message says what to do. Resolves; never throws for store or validation failures.
 */
export async function saveListingOverrides(
  shopId: string,
  listingId: string,
  input: OverrideInput,
): Promise<OverrideResult> {
  const listing = await prisma.listing.findFirst({
    where: { id: listingId, shopId },
    include: { channel: { select: { name: true, kind: true } }, item: { select: { title: true } } },
  });
  if (!listing) return { ok: false, message: "That listing no longer exists in your catalog. Reload the page." };
  const store = listing.channel.name;
  const current = { price: listing.priceOverride?.toFixed(2) ?? null, title: listing.titleOverride };
  if (!acceptsListingDetails(listing.channel.kind))
    return {
      ok: false,
      message: isSalesChannelKind(listing.channel.kind)
        ? `${store} takes no price or title overrides from SyncFlow: change them in the store itself.`
        : "Shopify is the record: overrides apply to a sales channel's listing only.",
      overrides: current,
    };
  const isVariation = listing.variantId !== null;
  const next = parseOverrideInput(input, isVariation);
  if (Object.keys(next.errors).length)
    return {
      ok: false,
      message: "Fix the highlighted fields, then save again.",
      errors: next.errors,
      overrides: current,
    };

  const priceChanged = next.price !== current.price;
  const titleChanged = next.title !== current.title;
  if (!priceChanged && !titleChanged) return { ok: true, message: `No changes for ${store}.`, overrides: current };

  const fields: { regularPrice?: string; name?: string } = {};
  const notes: string[] = [];
  if (priceChanged) {
    if (next.price !== null) fields.regularPrice = next.price;
    else
      notes.push(
        `SyncFlow does not store Shopify's price, so ${store} keeps its current price until you change it in the store`,
      );
  }
  if (titleChanged) {
    if (next.title !== null) fields.name = next.title;
    else if (listing.item) fields.name = listing.item.title;
    else notes.push(`this listing is not linked to a SKU, so ${store} keeps its current title`);
  }

  const refs = { itemId: listing.itemId, channelId: listing.channelId };
  let written: { regularPrice: string; name: string } | null = null;
  if (fields.regularPrice !== undefined || fields.name !== undefined) {
    const productId = listing.externalId;
    const parentId = isVariation ? listing.productId : null;
    try {
      const { adapter } = await salesChannelOf(shopId, listing.channelId);
      written = await adapter.updateListingDetails({ listingId: productId, parentId }, fields);
    } catch (err) {
      const message = storeErrorMessage(store, err);
      await recordAttempt(shopId, "listing.override_failed", refs, {
        listingId,
        price: next.price,
        title: next.title,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
      return { ok: false, message, overrides: current };
    }
  }

  await prisma.listing.updateMany({
    where: { id: listingId, shopId },
    data: {
      priceOverride: next.price,
      titleOverride: next.title,
      ...(written && fields.name !== undefined ? { title: written.name } : {}),
    },
  });
  await recordAttempt(shopId, "listing.override_saved", refs, {
    listingId,
    price: next.price,
    title: next.title,
    sent: fields,
    storeRegularPrice: written?.regularPrice ?? null,
    storeName: written?.name ?? null,
  });

  const done: string[] = [];
  if (priceChanged) done.push(next.price !== null ? `price ${next.price}` : "price override removed");
  if (titleChanged)
    done.push(
      next.title !== null
        ? `title “${next.title}”`
        : fields.name !== undefined
          ? `title restored to “${fields.name}”`
          : "title override removed",
    );
  const message = `Saved for ${store}: ${done.join(", ")}.${notes.length ? ` Note: ${notes.join("; ")}.` : ""}`;
  return { ok: true, message, overrides: { price: next.price, title: next.title } };
}
