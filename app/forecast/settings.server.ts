/**
 * Forecast settings (docs/decisions/294): the shop's defaults (ForecastSettings) and an item's own lead time / safety
 * stock (ItemForecastSetting, null = the default). Validated with zod; errors are keyed by form field, as the
 * notification settings do (app/notify/settings.server.ts).
 */
import { z } from "zod";
import prisma from "../db.server";

/** The shop's forecast defaults (units and days). */
export interface ShopForecastSettings {
  leadTimeDays: number;
  safetyStock: number;
  orderForDays: number;
  historyDays: number;
  lowCoverAlerts: boolean;
  computedAt: Date | null;
}

export const FORECAST_DEFAULTS: Omit<ShopForecastSettings, "computedAt"> = {
  leadTimeDays: 14,
  safetyStock: 0,
  orderForDays: 30,
  historyDays: 56,
  lowCoverAlerts: true,
};

/** The settings of a shop (defaults when it has no row). */
export async function getForecastSettings(shopId: string): Promise<ShopForecastSettings> {
  const row = await prisma.forecastSettings.findUnique({ where: { shopId } });
  return row
    ? {
        leadTimeDays: row.leadTimeDays,
        safetyStock: row.safetyStock,
        orderForDays: row.orderForDays,
        historyDays: row.historyDays,
        lowCoverAlerts: row.lowCoverAlerts,
        computedAt: row.computedAt,
      }
    : { ...FORECAST_DEFAULTS, computedAt: null };
}

const wholeNumber = (label: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${label} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${label} must be at least ${min}`).max(max, `${label} must be at most ${max}`));

/** The shop-defaults form (fields as strings, as a form posts them). */
export const shopSettingsSchema = z.object({
  leadTimeDays: wholeNumber("Lead time", 0, 365),
  safetyStock: wholeNumber("Safety stock", 0, 1_000_000),
  orderForDays: wholeNumber("Order for", 1, 365),
  historyDays: wholeNumber("Sales history", 14, 90),
  lowCoverAlerts: z
    .union([z.literal("on"), z.literal("true"), z.literal("false"), z.literal("")])
    .optional()
    .transform((v) => v === "on" || v === "true"),
});

/** An item's override: empty = use the shop's default. */
const optionalWhole = (label: string, max: number) =>
  z.union([z.literal("").transform(() => null), wholeNumber(label, 0, max)]);

export const itemSettingsSchema = z.object({
  itemId: z.string().min(1, "Item is required"),
  leadTimeDays: optionalWhole("Lead time", 365),
  safetyStock: optionalWhole("Safety stock", 1_000_000),
});

export type FieldErrors = Record<string, string>;

function fieldErrors(err: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of err.issues) {
    const key = String(issue.path[0] ?? "form");
    out[key] ??= issue.message;
  }
  return out;
}

/**
 * Saves the shop's defaults from form fields. @returns `{ ok: true }` or `{ ok: false, errors }` (keyed by field);
 * nothing is written on an error.
 */
export async function saveShopForecastSettings(
  shopId: string,
  form: Record<string, unknown>,
): Promise<{ ok: true } | { ok: false; errors: FieldErrors }> {
  const parsed = shopSettingsSchema.safeParse(form);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  await prisma.forecastSettings.upsert({
    where: { shopId },
    create: { shopId, ...parsed.data },
    update: parsed.data,
  });
  return { ok: true };
}

/**
 * Saves one item's lead time / safety stock (empty = the shop default; both empty removes the override). The item must
 * belong to the shop (404-style error otherwise). @returns `{ ok: true }` or `{ ok: false, errors }`.
 */
export async function saveItemForecastSettings(
  shopId: string,
  form: Record<string, unknown>,
): Promise<{ ok: true } | { ok: false; errors: FieldErrors }> {
  const parsed = itemSettingsSchema.safeParse(form);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const { itemId, leadTimeDays, safetyStock } = parsed.data;
  const item = await prisma.catalogItem.findFirst({ where: { id: itemId, shopId }, select: { id: true } });
  if (!item) return { ok: false, errors: { itemId: "No such item in this shop" } };
  if (leadTimeDays == null && safetyStock == null) {
    await prisma.itemForecastSetting.deleteMany({ where: { itemId, shopId } });
  } else {
    await prisma.itemForecastSetting.upsert({
      where: { itemId },
      create: { itemId, shopId, leadTimeDays, safetyStock },
      update: { leadTimeDays, safetyStock },
    });
  }
  return { ok: true };
}
