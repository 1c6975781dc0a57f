/**
 * Order import and fulfilment pushback settings per sales channel (issue 15 items 1, 3 and 6; decision 243): the
 * OrderImportSetting row of a channel, read and written for Settings → Orders hub (app/routes/app.settings.orders.tsx)
 * and, for the fields a retailer keeps outside its RetailerLink, the retailer's page (app.retailers.$linkId.tsx).
 *
 * - WooCommerce (and any other non-retailer sales channel): every field here — import on/off, from statuses, order
 *   look-back hours, tags, note, billing address (the customer's or a fixed one), notifyCustomer, pushFulfilments,
 *   fulfilment look-back hours, notifySourceCustomer.
 * - Retailer Shopify shops: import/push on/off, look-back hours, tags and note live on RetailerLink
 *   (app/retailers/links.server.ts `updateRetailerSettings`); from statuses, billing address, notifyCustomer and
 *   notifySourceCustomer live here (the import and the pushback read both: import.server.ts `importSettingsOf`).
 *
 * Validation: zod (the project's schema-validation library); errors come back keyed by field path with what to fix.
 * Every query filters on shopId.
 */
import { z } from "zod";
import { Prisma } from "@prisma/client";
import prisma from "../db.server";
import { RECORD_KIND, RETAILER_KIND } from "../channels/channel";
import type { OrderAddress } from "../channels/record";
import { kindLabel } from "./sales-channels.server";
import { queueImportLookback } from "../sync/orders-hub/catch-up.server";

/** Source order statuses the merchant may import from, per channel kind (stored as the order row's `status`). */
export const IMPORT_STATUS_CHOICES: Record<string, { value: string; label: string }[]> = {
  // WooCommerce order statuses (woocommerce/includes/wc-order-functions.php wc_get_order_statuses; stock is reduced on
  // processing / on-hold / completed, wc_maybe_reduce_stock_levels).
  woocommerce: [
    { value: "pending", label: "Pending payment" },
    { value: "processing", label: "Processing" },
    { value: "on-hold", label: "On hold" },
    { value: "completed", label: "Completed" },
  ],
  // Shopify financial statuses (Admin REST Order.financial_status, as the retailer's orders/* webhooks carry them).
  [RETAILER_KIND]: [
    { value: "pending", label: "Payment pending" },
    { value: "authorized", label: "Authorized" },
    { value: "partially_paid", label: "Partially paid" },
    { value: "paid", label: "Paid" },
  ],
};

/** Statuses offered for `kind` (WooCommerce's for kinds without their own list). */
export const statusChoicesOf = (kind: string) => IMPORT_STATUS_CHOICES[kind] ?? IMPORT_STATUS_CHOICES.woocommerce!;

const hours = (what: string) =>
  z
    .number({ error: `${what} must be a number of hours` })
    .int(`${what} must be a whole number of hours`)
    .min(1, `${what} must be 1–720 hours`)
    .max(720, `${what} must be 1–720 hours (30 days)`);

const line = (max: number, what: string) =>
  z
    .string()
    .trim()
    .max(max, `${what} is at most ${max} characters`)
    .transform((v) => v || null)
    .nullable();

/** A fixed billing address (e.g. the retailer's own, as the logistics seed bills it). */
export const addressSchema = z.object({
  firstName: line(100, "First name"),
  lastName: line(100, "Last name"),
  company: line(255, "Company"),
  address1: z.string().trim().min(1, "Enter the street address").max(255, "Address is at most 255 characters"),
  address2: line(255, "Address line 2"),
  city: z.string().trim().min(1, "Enter the city").max(100, "City is at most 100 characters"),
  provinceCode: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^([A-Z0-9]{1,3})?$/, "Province: the 1–3 character code, e.g. CA or QC (or leave empty)")
    .transform((v) => v || null)
    .nullable(),
  zip: line(20, "Postcode"),
  countryCode: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, "Country: the two-letter ISO code, e.g. GB or US"),
  phone: line(40, "Phone"),
});

/** Settings as the form edits them (one channel). Hours in hours. */
export const orderSettingsSchema = z
  .object({
    channelId: z.string().min(1),
    importOrders: z.boolean(),
    fromStatuses: z.array(z.string()).max(10),
    orderLookbackHours: hours("Order look-back"),
    tags: z
      .array(
        z
          .string()
          .trim()
          .min(1)
          .max(40, "Each tag is at most 40 characters (Shopify's limit)")
          .regex(/^[^,]*$/, "Tags cannot contain commas"),
      )
      .max(10, "At most 10 tags"),
    note: line(500, "The note"),
    billing: z.enum(["customer", "fixed"]),
    billingAddress: addressSchema.nullable(),
    notifyCustomer: z.boolean(),
    pushFulfilments: z.boolean(),
    fulfilmentLookbackHours: hours("Fulfilment look-back"),
    notifySourceCustomer: z.boolean(),
  })
  .superRefine((v, ctx) => {
    if (v.billing === "fixed" && !v.billingAddress)
      ctx.addIssue({ code: "custom", path: ["billingAddress"], message: "Enter the billing address to use." });
  });
export type OrderSettingsInput = z.input<typeof orderSettingsSchema>;

/** One channel's settings as the page shows them. */
export interface OrderSettingsView {
  channelId: string;
  name: string;
  kind: string;
  kindLabel: string;
  /** Retailer shops: their RetailerLink id (import/push/look-back/tags/note are edited on its page). */
  retailerLinkId: string | null;
  importOrders: boolean;
  fromStatuses: string[];
  orderLookbackHours: number;
  tags: string[];
  note: string | null;
  billing: "customer" | "fixed";
  billingAddress: OrderAddress | null;
  notifyCustomer: boolean;
  pushFulfilments: boolean;
  fulfilmentLookbackHours: number;
  notifySourceCustomer: boolean;
  statusChoices: { value: string; label: string }[];
}

/** The order settings of every sales channel of `shopId` (defaults where no row exists yet). */
export async function getOrderSettings(shopId: string): Promise<OrderSettingsView[]> {
  const channels = await prisma.channel.findMany({
    where: { shopId, kind: { not: RECORD_KIND } },
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true, kind: true, orderImportSetting: true, retailerLink: true },
  });
  return channels.map((c) => {
    const s = c.orderImportSetting;
    const link = c.kind === RETAILER_KIND ? c.retailerLink : null;
    const address = (s?.billingAddress as OrderAddress | null | undefined) ?? null;
    return {
      channelId: c.id,
      name: c.name,
      kind: c.kind,
      kindLabel: kindLabel(c.kind),
      retailerLinkId: link?.id ?? null,
      importOrders: link ? link.importOrders : (s?.importOrders ?? false),
      fromStatuses: s?.fromStatuses ?? [],
      orderLookbackHours: link ? link.orderLookbackHours : (s?.orderLookbackHours ?? 24),
      tags: link ? link.orderTags : (s?.tags ?? []),
      note: link ? link.orderNote : (s?.note ?? null),
      billing: address ? "fixed" : "customer",
      billingAddress: address,
      notifyCustomer: s?.notifyCustomer ?? false,
      pushFulfilments: link ? link.pushFulfilments : (s?.pushFulfilments ?? false),
      fulfilmentLookbackHours: link ? link.fulfilmentLookbackHours : (s?.fulfilmentLookbackHours ?? 24),
      notifySourceCustomer: s?.notifySourceCustomer ?? true,
      statusChoices: statusChoicesOf(c.kind),
    };
  });
}

/** Field errors of a failed zod parse: path ("billingAddress.city") → first message. */
function fieldErrors(issues: z.core.$ZodIssue[], prefix = ""): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) errors[prefix + issue.path.join(".")] ??= issue.message;
  return errors;
}

/** Validates `input` without saving (the retailer page checks both of its forms before writing either). */
export function validateOrderSettings(input: unknown): Record<string, string> | null {
  const parsed = orderSettingsSchema.safeParse(input);
  return parsed.success ? null : fieldErrors(parsed.error.issues);
}

/**
 * Validates and saves one channel's order settings. A retailer channel's RetailerLink fields (import/push on/off,
 * look-back hours, tags, note) are saved on its RetailerLink; the rest on OrderImportSetting.
 * @returns ok, or field errors keyed by path (422 in the route), or a not-found error for another shop's channel
 */
export async function saveOrderSettings(
  shopId: string,
  input: unknown,
): Promise<{ ok: true } | { ok: false; status: 404 | 422; errors: Record<string, string> }> {
  const parsed = orderSettingsSchema.safeParse(input);
  if (!parsed.success) return { ok: false, status: 422, errors: fieldErrors(parsed.error.issues) };
  const v = parsed.data;
  const channel = await prisma.channel.findFirst({
    where: { id: v.channelId, shopId, kind: { not: RECORD_KIND } },
    select: {
      id: true,
      kind: true,
      retailerLink: { select: { id: true, importOrders: true } },
      orderImportSetting: { select: { importOrders: true } },
    },
  });
  if (!channel) return { ok: false, status: 404, errors: { channelId: "This store is not connected to your shop." } };
  const allowed = new Set(statusChoicesOf(channel.kind).map((c) => c.value));
  const bad = v.fromStatuses.find((s) => !allowed.has(s));
  if (bad) return { ok: false, status: 422, errors: { fromStatuses: `"${bad}" is not a status of this store.` } };
  // The customer's address is "no fixed address": a database NULL (Prisma.DbNull), not a JSON null.
  const billingAddress =
    v.billing === "fixed" && v.billingAddress ? (v.billingAddress as Prisma.InputJsonValue) : Prisma.DbNull;
  const common = {
    fromStatuses: [...new Set(v.fromStatuses)],
    notifyCustomer: v.notifyCustomer,
    notifySourceCustomer: v.notifySourceCustomer,
  };
  const own = {
    importOrders: v.importOrders,
    orderLookbackHours: v.orderLookbackHours,
    tags: [...new Set(v.tags)],
    note: v.note,
    pushFulfilments: v.pushFulfilments,
    fulfilmentLookbackHours: v.fulfilmentLookbackHours,
  };
  const isRetailer = channel.kind === RETAILER_KIND && channel.retailerLink;
  const data = isRetailer ? common : { ...common, ...own };
  await prisma.$transaction(async (tx) => {
    await tx.orderImportSetting.upsert({
      where: { channelId: channel.id },
      create: { channelId: channel.id, ...data, billingAddress },
      update: { ...data, billingAddress },
    });
    if (isRetailer)
      await tx.retailerLink.update({
        where: { id: channel.retailerLink!.id },
        data: {
          importOrders: own.importOrders,
          orderLookbackHours: own.orderLookbackHours,
          orderTags: own.tags,
          orderNote: own.note,
          pushFulfilments: own.pushFulfilments,
          fulfilmentLookbackHours: own.fulfilmentLookbackHours,
        },
      });
  });
  // Import turned on: read the look-back window now (catch-up, decision 235) rather than at the next reconciliation.
  const wasImporting = isRetailer
    ? channel.retailerLink!.importOrders
    : (channel.orderImportSetting?.importOrders ?? false);
  if (own.importOrders && !wasImporting) await queueImportLookback(shopId, channel.id);
  return { ok: true };
}
