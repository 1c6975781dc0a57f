/**
 * Per-shop notification settings: recipients, per-kind channel switches, quiet hours, daily summary hour,
 * and the shop's default low-stock threshold (Shop.lowStockThreshold). A shop without a row gets the
 * defaults (docs/decisions/060-notifications.md). Validation with zod; errors are keyed by form field.
 */
import { z } from "zod";
import prisma from "../db.server";
import { E164, NOTIFICATION_KINDS, formatClock, mergeSwitches, parseClock, type ChannelSwitches } from "./kinds";

/** Settings as the dispatcher and the settings page use them. */
export interface ShopNotifySettings {
  shopId: string;
  emailRecipients: string[];
  smsRecipients: string[];
  switches: ChannelSwitches;
  quietStartMin: number | null;
  quietEndMin: number | null;
  criticalBypassQuiet: boolean;
  timezone: string;
  dailySummaryHour: number;
  lastSummaryDate: string | null;
  lowStockThreshold: number;
}

/** The settings of a shop (defaults when it has no row). */
export async function getNotifySettings(shopId: string): Promise<ShopNotifySettings> {
  const [row, shop] = await Promise.all([
    prisma.notificationSettings.findUnique({ where: { shopId } }),
    prisma.shop.findUnique({ where: { id: shopId }, select: { lowStockThreshold: true } }),
  ]);
  return {
    shopId,
    emailRecipients: row?.emailRecipients ?? [],
    smsRecipients: row?.smsRecipients ?? [],
    switches: mergeSwitches(row?.channels),
    quietStartMin: row?.quietStartMin ?? null,
    quietEndMin: row?.quietEndMin ?? null,
    criticalBypassQuiet: row?.criticalBypassQuiet ?? true,
    timezone: row?.timezone ?? "UTC",
    dailySummaryHour: row?.dailySummaryHour ?? 8,
    lastSummaryDate: row?.lastSummaryDate ?? null,
    lowStockThreshold: shop?.lowStockThreshold ?? 5,
  };
}

/** Splits a free-text list (commas, semicolons, whitespace, new lines) into trimmed unique entries. */
export function splitList(value: string): string[] {
  return [
    ...new Set(
      value
        .split(/[\s,;]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

/** Normalises a phone number typed by a person ("+1 (415) 555-0100" → "+14155550100"). */
export function normalisePhone(value: string): string {
  return value.replace(/[\s().-]/g, "");
}

const emailSchema = z.email();

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The settings form as submitted (all strings, checkboxes "on" when ticked). */
export type SettingsForm = Record<string, string | undefined>;

/** Result of validating the form: the values to store, or errors by field name. */
export type SettingsValidation =
  | { ok: true; value: Omit<ShopNotifySettings, "shopId" | "lastSummaryDate"> }
  | { ok: false; errors: Record<string, string> };

/**
 * Validates the settings form. Fields: `emailRecipients`, `smsRecipients` (lists), `<kind>.email` /
 * `<kind>.sms` ("on"), `quietStart`, `quietEnd` (HH:MM), `criticalBypassQuiet`, `timezone`,
 * `dailySummaryHour` (0-23), `lowStockThreshold` (0-100000).
 */
export function validateSettingsForm(form: SettingsForm): SettingsValidation {
  const errors: Record<string, string> = {};
  const emails = splitList(form.emailRecipients ?? "");
  const badEmail = emails.find((e) => !emailSchema.safeParse(e).success);
  if (badEmail) errors.emailRecipients = `“${badEmail}” is not a valid e-mail address`;
  if (emails.length > 10) errors.emailRecipients = "At most 10 e-mail recipients";
  const phones = splitList((form.smsRecipients ?? "").replace(/(\d)[ ().-]+(?=[\d(])/g, "$1")).map(normalisePhone);
  const badPhone = phones.find((p) => !E164.test(p));
  if (badPhone)
    errors.smsRecipients = `“${badPhone}” is not an E.164 phone number (+ country code and number, e.g. +14155550100)`;
  if (phones.length > 5) errors.smsRecipients = "At most 5 phone numbers";
  let quietStartMin: number | null = null;
  let quietEndMin: number | null = null;
  try {
    quietStartMin = parseClock(form.quietStart ?? "");
  } catch (e) {
    errors.quietStart = (e as Error).message;
  }
  try {
    quietEndMin = parseClock(form.quietEnd ?? "");
  } catch (e) {
    errors.quietEnd = (e as Error).message;
  }
  if (!errors.quietStart && !errors.quietEnd && (quietStartMin == null) !== (quietEndMin == null)) {
    errors[quietStartMin == null ? "quietStart" : "quietEnd"] =
      "Give both the start and the end of quiet hours, or neither";
  }
  const timezone = (form.timezone ?? "UTC").trim() || "UTC";
  if (!isTimeZone(timezone))
    errors.timezone = `Unknown time zone “${timezone}” (use an IANA name such as Europe/Paris)`;
  const hour = Number(form.dailySummaryHour ?? "8");
  if (!Number.isInteger(hour) || hour < 0 || hour > 23) errors.dailySummaryHour = "An hour from 0 to 23";
  const threshold = Number(form.lowStockThreshold ?? "5");
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > 100_000)
    errors.lowStockThreshold = "A whole number from 0 to 100000";
  if (Object.keys(errors).length) return { ok: false, errors };
  const switches = {} as Record<string, { email: boolean; sms: boolean }>;
  for (const k of NOTIFICATION_KINDS)
    switches[k] = { email: form[`${k}.email`] === "on", sms: form[`${k}.sms`] === "on" };
  return {
    ok: true,
    value: {
      emailRecipients: emails,
      smsRecipients: phones,
      switches: mergeSwitches(switches),
      quietStartMin,
      quietEndMin,
      criticalBypassQuiet: form.criticalBypassQuiet === "on",
      timezone,
      dailySummaryHour: hour,
      lowStockThreshold: threshold,
    },
  };
}

/** Validates and stores the form. */
export async function saveNotifySettings(shopId: string, form: SettingsForm): Promise<SettingsValidation> {
  const v = validateSettingsForm(form);
  if (!v.ok) return v;
  const data = {
    emailRecipients: v.value.emailRecipients,
    smsRecipients: v.value.smsRecipients,
    channels: v.value.switches,
    quietStartMin: v.value.quietStartMin,
    quietEndMin: v.value.quietEndMin,
    criticalBypassQuiet: v.value.criticalBypassQuiet,
    timezone: v.value.timezone,
    dailySummaryHour: v.value.dailySummaryHour,
  };
  await prisma.$transaction([
    prisma.notificationSettings.upsert({ where: { shopId }, create: { shopId, ...data }, update: data }),
    prisma.shop.update({ where: { id: shopId }, data: { lowStockThreshold: v.value.lowStockThreshold } }),
  ]);
  return v;
}

/** The settings as form default values (the settings page). */
export function settingsToForm(s: ShopNotifySettings): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {
    emailRecipients: s.emailRecipients.join(", "),
    smsRecipients: s.smsRecipients.join(", "),
    quietStart: formatClock(s.quietStartMin),
    quietEnd: formatClock(s.quietEndMin),
    criticalBypassQuiet: s.criticalBypassQuiet,
    timezone: s.timezone,
    dailySummaryHour: String(s.dailySummaryHour),
    lowStockThreshold: String(s.lowStockThreshold),
  };
  for (const k of NOTIFICATION_KINDS) {
    out[`${k}.email`] = s.switches[k].email;
    out[`${k}.sms`] = s.switches[k].sms;
  }
  return out;
}
