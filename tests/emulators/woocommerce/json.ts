/**
 * The emulator's REST v3 response bodies, shaped as a real WooCommerce 10.0.2 on WordPress 6.8 answers them: the same
 * keys in the same order, the same defaults for what the emulator does not model (taxes, shipping, images, reviews…),
 * `view` context for GET and webhook payloads and `edit` context (+ `permalink_template`, `generated_slug`) for the
 * answers of writes. Held to the real store by the differential suite (tests/differential, decision 121), which
 * compares key sets, stock fields and statuses with a real WooCommerce.
 * Sources: WC_REST_Products_V2_Controller / WC_REST_Product_Variations_Controller::prepare_object_for_response,
 * WC_REST_Orders_V2_Controller::get_formatted_item_data, WC_REST_Order_Refunds_V2_Controller, WC_REST_Webhooks_Controller,
 * WC_REST_System_Status_V2_Controller, and responses of the real store recorded by that suite.
 */
import type {
  NoteRecord,
  OrderLineRecord,
  OrderRecord,
  ProductRecord,
  RefundRecord,
  WebhookRecord,
  WooStore,
} from "./store.js";

/** `view` for reads and webhook payloads; `edit` for the answers of POST/PUT/DELETE and batches. */
export type JsonContext = "view" | "edit";

/** WooCommerce GMT date format, second resolution, no zone suffix. */
export function wcDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
}

const ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const self = (href: string, allow = ALL_METHODS) => [{ href, targetHints: { allow } }];
const slugify = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

/** The price a product sells at: sale price when set, else regular price ("" when neither). */
export function activePrice(p: ProductRecord): string {
  return p.sale_price !== "" ? p.sale_price : p.regular_price;
}

/** wc_price() markup as REST `price_html` renders it ("" without a price); `$` is the store's USD symbol. */
function priceHtml(amount: string, regular?: string): string {
  if (amount === "") return "";
  const money = (v: string) =>
    `<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-currencySymbol">&#36;</span>${Number(v).toFixed(2)}</bdi></span>`;
  if (regular && regular !== amount)
    return `<del aria-hidden="true">${money(regular)}</del> <span class="screen-reader-text">Original price was: &#036;${Number(regular).toFixed(2)}.</span><ins aria-hidden="true">${money(amount)}</ins><span class="screen-reader-text">Current price is: &#036;${Number(amount).toFixed(2)}.</span>`;
  return money(amount);
}

/** Price of a variable (lowest of its variations) or grouped (lowest of its children) product; "" without one. */
function derivedPrice(store: WooStore, p: ProductRecord): string {
  const kids = (p.type === "variable" ? p.variations : p.grouped_products)
    .map((id) => store.products.get(id))
    .filter((x): x is ProductRecord => !!x && x.status !== "trash")
    .map((x) => activePrice(x))
    .filter((v) => v !== "" && Number.isFinite(Number(v)));
  if (!kids.length) return "";
  return kids.reduce((a, b) => (Number(b) < Number(a) ? b : a));
}

/** price, regular_price, sale_price and the (unmodelled, null) sale schedule, in WooCommerce's key order. */
function prices(p: ProductRecord, price: string) {
  return {
    price,
    regular_price: p.regular_price,
    sale_price: p.sale_price,
    date_on_sale_from: null,
    date_on_sale_from_gmt: null,
    date_on_sale_to: null,
    date_on_sale_to_gmt: null,
  };
}

/** A variation's attributes ({id, name, slug, option}), from what it was created with. */
function variationAttributes(p: ProductRecord) {
  return p.attributes.map((a) => ({
    id: Number(a.id ?? 0),
    name: String(a.name ?? ""),
    slug: slugify(String(a.name ?? "")),
    option: String(a.option ?? ""),
  }));
}
/** A product's attributes ({id, name, slug, position, visible, variation, options}); a custom attribute's slug is its name. */
function productAttributes(p: ProductRecord) {
  return p.attributes.map((a, i) => ({
    id: Number(a.id ?? 0),
    name: String(a.name ?? ""),
    slug: String(a.slug ?? a.name ?? ""),
    position: Number(a.position ?? i),
    visible: a.visible === undefined ? false : !!a.visible,
    variation: !!a.variation,
    options: Array.isArray(a.options) ? a.options.map(String) : [],
  }));
}

/** Stock fields as WooCommerce renders them for `p` (a variation may take them from its parent). */
function stockFields(store: WooStore, p: ProductRecord) {
  const h = store.stockHolder(p);
  const status = store.stockStatus(p);
  const backorders = (h ?? p).backorders;
  const qty = h ? h.stock_quantity : null;
  return {
    manage_stock: p.manage_stock ? true : h ? ("parent" as const) : false,
    stock_quantity: qty,
    backorders,
    backorders_allowed: backorders !== "no",
    // WC_Product::is_on_backorder(): "onbackorder" status, or managed stock below 0 with backorders allowed.
    backordered: status === "onbackorder" || (!!h && backorders !== "no" && (qty ?? 0) < 0),
    low_stock_amount: null,
    stock_status: status,
  };
}

/** REST v3 product body (`GET /products/<id>`, also for a variation read through /products). */
export function productJson(store: WooStore, p: ProductRecord, context: JsonContext = "view"): Record<string, unknown> {
  const site = store.opts.siteUrl;
  const parent = p.type === "variation" ? store.products.get(p.parent_id) : undefined;
  const price =
    p.type === "grouped" || p.type === "variable"
      ? derivedPrice(store, p)
      : p.type === "external" && p.regular_price === ""
        ? ""
        : activePrice(p);
  const s = stockFields(store, p);
  const isVariation = p.type === "variation";
  const name =
    isVariation && parent
      ? `${parent.name} - ${variationAttributes(p)
          .map((a) => a.option)
          .join(", ")}`
      : p.name;
  const slug = isVariation && parent ? slugify(name) : p.slug;
  const permalink =
    isVariation && parent ? `${site}/product/${parent.slug}/${variationQuery(p)}` : `${site}/product/${p.slug}/`;
  const purchasable = p.type !== "grouped" && p.type !== "external" && price !== "" && p.status !== "trash";
  const body: Record<string, unknown> = {
    id: p.id,
    name,
    slug,
    permalink,
    date_created: wcDate(p.date_created_ms),
    date_created_gmt: wcDate(p.date_created_ms),
    date_modified: wcDate(p.date_modified_ms),
    date_modified_gmt: wcDate(p.date_modified_ms),
    type: p.type,
    status: p.status,
    featured: false,
    catalog_visibility: "visible",
    description: "",
    short_description: "",
    sku: p.sku,
    ...prices(p, price),
    on_sale: p.sale_price !== "" && p.type !== "variable" && p.type !== "grouped",
    purchasable,
    total_sales: 0,
    virtual: p.virtual,
    downloadable: p.downloadable,
    downloads: [],
    download_limit: -1,
    download_expiry: -1,
    external_url: p.external_url,
    button_text: p.button_text,
    tax_status: "taxable",
    tax_class: "",
    manage_stock: s.manage_stock,
    stock_quantity: s.stock_quantity,
    backorders: s.backorders,
    backorders_allowed: s.backorders_allowed,
    backordered: s.backordered,
    low_stock_amount: s.low_stock_amount,
    sold_individually: false,
    weight: "",
    dimensions: { length: "", width: "", height: "" },
    shipping_required: !p.virtual,
    shipping_taxable: !p.virtual,
    shipping_class: "",
    shipping_class_id: 0,
    reviews_allowed: true,
    average_rating: "0.00",
    rating_count: 0,
    upsell_ids: [],
    cross_sell_ids: [],
    parent_id: p.parent_id,
    purchase_note: "",
    categories: isVariation ? [] : [{ id: 15, name: "Uncategorized", slug: "uncategorized" }],
    brands: [],
    tags: [],
    images: [],
    attributes: isVariation ? variationAttributes(p) : productAttributes(p),
    default_attributes: [],
    variations: [...p.variations],
    grouped_products: [...p.grouped_products],
    menu_order: 0,
    price_html:
      p.type === "external" && price === ""
        ? ""
        : priceHtml(price, p.type === "variable" || p.type === "grouped" ? undefined : p.regular_price),
    related_ids: [],
    meta_data: p.meta_data.map((m) => ({ ...m })),
    stock_status: s.stock_status,
    has_options: p.type === "variable" && p.variations.length > 0,
    post_password: "",
    global_unique_id: "",
  };
  if (context === "edit") {
    body.permalink_template = `${site}/product/%pagename%/`;
    body.generated_slug = slug;
  }
  body._links = {
    self: self(`${site}/wp-json/wc/v3/products/${p.id}`),
    collection: [{ href: `${site}/wp-json/wc/v3/products` }],
    ...(isVariation ? { up: [{ href: `${site}/wp-json/wc/v3/products/${p.parent_id}` }] } : {}),
  };
  return body;
}

/** `?attribute_size=M&…` of a variation's permalink. */
function variationQuery(p: ProductRecord): string {
  const q = variationAttributes(p)
    .map((a) => `attribute_${a.slug}=${encodeURIComponent(a.option)}`)
    .join("&");
  return q ? `?${q}` : "";
}

/** REST v3 variation body (`/products/<parent>/variations/<id>`): its own key set and order, `name` = its options. */
export function variationJson(
  store: WooStore,
  p: ProductRecord,
  _context: JsonContext = "view",
): Record<string, unknown> {
  const site = store.opts.siteUrl;
  const parent = store.products.get(p.parent_id);
  const s = stockFields(store, p);
  const price = activePrice(p);
  return {
    id: p.id,
    type: "variation",
    date_created: wcDate(p.date_created_ms),
    date_created_gmt: wcDate(p.date_created_ms),
    date_modified: wcDate(p.date_modified_ms),
    date_modified_gmt: wcDate(p.date_modified_ms),
    description: "",
    permalink: `${site}/product/${parent?.slug ?? "product"}/${variationQuery(p)}`,
    sku: p.sku,
    global_unique_id: "",
    ...prices(p, price),
    on_sale: p.sale_price !== "",
    status: p.status,
    purchasable: price !== "" && p.status !== "trash",
    virtual: p.virtual,
    downloadable: p.downloadable,
    downloads: [],
    download_limit: -1,
    download_expiry: -1,
    tax_status: "taxable",
    tax_class: "",
    manage_stock: s.manage_stock,
    stock_quantity: s.stock_quantity,
    stock_status: s.stock_status,
    backorders: s.backorders,
    backorders_allowed: s.backorders_allowed,
    backordered: s.backordered,
    low_stock_amount: s.low_stock_amount,
    weight: "",
    dimensions: { length: "", width: "", height: "" },
    shipping_class: "",
    shipping_class_id: 0,
    image: null,
    attributes: variationAttributes(p),
    menu_order: 0,
    meta_data: p.meta_data.map((m) => ({ ...m })),
    // wc_get_formatted_variation( $object, true, false, false ): the variation's option values.
    name: variationAttributes(p)
      .map((a) => a.option)
      .join(", "),
    parent_id: p.parent_id,
    _links: {
      self: self(`${site}/wp-json/wc/v3/products/${p.parent_id}/variations/${p.id}`),
      collection: [{ href: `${site}/wp-json/wc/v3/products/${p.parent_id}/variations` }],
      up: [{ href: `${site}/wp-json/wc/v3/products/${p.parent_id}` }],
    },
  };
}

const ADDRESS = [
  "first_name",
  "last_name",
  "company",
  "address_1",
  "address_2",
  "city",
  "state",
  "postcode",
  "country",
] as const;
const money = (n: number) => n.toFixed(2);

/** Line meta as REST renders it: a variation's attributes, then WooCommerce's stock bookkeeping (`_reduced_stock`, …). */
function lineMetaData(store: WooStore, l: OrderLineRecord, bookkeeping: Array<Record<string, unknown>>) {
  const v = l.variation_id ? store.products.get(l.variation_id) : undefined;
  const attrs = v
    ? variationAttributes(v).map((a, i) => ({
        id: l.id * 100 + i,
        key: a.slug,
        value: a.option,
        display_key: a.name,
        display_value: a.option,
      }))
    : [];
  return [...attrs, ...bookkeeping];
}

/** An order line item ({id, name, product_id, …, image, parent_name}). */
function lineItem(store: WooStore, l: OrderLineRecord, bookkeeping: Array<Record<string, unknown>>, sign = 1) {
  const parent = l.variation_id ? store.products.get(l.product_id) : undefined;
  return {
    id: l.id,
    name: l.name,
    product_id: l.product_id,
    variation_id: l.variation_id,
    quantity: sign * l.quantity,
    tax_class: "",
    subtotal: money(sign * l.price * l.quantity),
    subtotal_tax: "0.00",
    total: money(sign * l.price * l.quantity),
    total_tax: "0.00",
    taxes: [],
    meta_data: lineMetaData(store, l, bookkeeping),
    sku: l.sku,
    price: l.price,
    image: { id: l.variation_id ? 0 : "", src: "" },
    parent_name: parent ? parent.name : null,
  };
}

/**
 * REST v3 order body. `lineBookkeeping(l)` gives the line's stock meta (`_reduced_stock`, `_restock_refunded_items`:
 * WooCommerce's stock rules live in store.ts).
 */
export function orderJson(
  store: WooStore,
  o: OrderRecord,
  lineBookkeeping: (l: OrderLineRecord) => Array<Record<string, unknown>>,
): Record<string, unknown> {
  const site = store.opts.siteUrl;
  const total = o.line_items.reduce((s, l) => s + l.price * l.quantity, 0);
  const paid = o.status === "processing" || o.status === "completed";
  const refunded = o.refunds.reduce((s, r) => s + r.amount, 0);
  const key = `wc_order_${o.id.toString(36).padStart(13, "x").slice(-13)}`;
  return {
    id: o.id,
    parent_id: 0,
    status: o.status,
    currency: o.currency,
    version: "10.0.2",
    prices_include_tax: false,
    date_created: wcDate(o.date_created_ms),
    date_modified: wcDate(o.date_modified_ms),
    discount_total: "0.00",
    discount_tax: "0.00",
    shipping_total: "0.00",
    shipping_tax: "0.00",
    cart_tax: "0.00",
    total: money(total),
    total_tax: "0.00",
    customer_id: 0,
    order_key: key,
    billing: {
      ...Object.fromEntries(ADDRESS.map((k) => [k, ""])),
      ...pickAddress(o.billing),
      email: o.billing.email ?? "",
      phone: "",
    },
    shipping: { ...Object.fromEntries(ADDRESS.map((k) => [k, ""])), phone: "" },
    payment_method: o.payment_method,
    payment_method_title: "",
    transaction_id: "",
    customer_ip_address: "",
    customer_user_agent: "",
    created_via: "rest-api",
    customer_note: "",
    date_completed: o.status === "completed" ? wcDate(o.date_modified_ms) : null,
    date_paid: paid ? wcDate(o.date_modified_ms) : null,
    cart_hash: "",
    number: String(o.id),
    meta_data: o.meta_data.map((m) => ({ id: m.id, key: m.key, value: structuredClone(m.value) })),
    line_items: o.line_items.map((l) => lineItem(store, l, lineBookkeeping(l))),
    tax_lines: [],
    shipping_lines: [],
    fee_lines: [],
    coupon_lines: [],
    refunds: [...o.refunds]
      .sort((a, b) => b.id - a.id)
      .map((r) => ({ id: r.id, reason: r.reason, total: money(-r.amount) })),
    payment_url: `${site}/checkout/order-pay/${o.id}/?pay_for_order=true&key=${key}`,
    is_editable: o.status === "pending" || o.status === "on-hold",
    needs_payment: (o.status === "pending" || o.status === "failed") && total - refunded > 0,
    needs_processing: true,
    date_created_gmt: wcDate(o.date_created_ms),
    date_modified_gmt: wcDate(o.date_modified_ms),
    date_completed_gmt: o.status === "completed" ? wcDate(o.date_modified_ms) : null,
    date_paid_gmt: paid ? wcDate(o.date_modified_ms) : null,
    currency_symbol: "$",
    _links: {
      self: self(`${site}/wp-json/wc/v3/orders/${o.id}`),
      collection: [{ href: `${site}/wp-json/wc/v3/orders` }],
      email_templates: [{ embeddable: true, href: `${site}/wp-json/wc/v3/orders/${o.id}/actions/email_templates` }],
    },
  };
}

function pickAddress(b: Partial<Record<string, string>>) {
  return Object.fromEntries(ADDRESS.filter((k) => typeof b[k] === "string").map((k) => [k, b[k]!]));
}

/** REST v3 order note body (`/orders/<id>/notes/<id>`, WC_REST_Order_Notes_Controller::prepare_item_for_response). */
export function noteJson(store: WooStore, o: OrderRecord, n: NoteRecord): Record<string, unknown> {
  const site = store.opts.siteUrl;
  return {
    id: n.id,
    author: n.author,
    date_created: wcDate(n.date_created_ms),
    date_created_gmt: wcDate(n.date_created_ms),
    note: n.note,
    customer_note: n.customer_note,
    _links: {
      self: self(`${site}/wp-json/wc/v3/orders/${o.id}/notes/${n.id}`, ["GET", "DELETE"]),
      collection: [{ href: `${site}/wp-json/wc/v3/orders/${o.id}/notes` }],
      up: [{ href: `${site}/wp-json/wc/v3/orders/${o.id}` }],
    },
  };
}

/** REST v3 refund body (`/orders/<id>/refunds/<id>`): line quantities and totals negative, like WooCommerce's. */
export function refundJson(store: WooStore, o: OrderRecord, r: RefundRecord): Record<string, unknown> {
  const site = store.opts.siteUrl;
  return {
    id: r.id,
    date_created: wcDate(r.date_created_ms),
    date_created_gmt: wcDate(r.date_created_ms),
    amount: money(r.amount),
    reason: r.reason,
    refunded_by: 1,
    refunded_payment: r.refunded_payment,
    meta_data: [],
    line_items: r.line_items.map((rl) => {
      const l = o.line_items.find((x) => x.id === rl.refunded_item_id);
      const qty = Math.abs(rl.quantity);
      const unit = qty ? Math.abs(rl.total) / qty : (l?.price ?? 0);
      const base: OrderLineRecord = l
        ? { ...l, id: rl.id, quantity: qty, price: unit }
        : {
            id: rl.id,
            product_id: 0,
            variation_id: 0,
            sku: "",
            name: "",
            quantity: qty,
            price: unit,
            reduced_stock: 0,
            restock_refunded: 0,
          };
      const meta = [
        {
          id: rl.id * 10 + 3,
          key: "_refunded_item_id",
          value: String(rl.refunded_item_id),
          display_key: "_refunded_item_id",
          display_value: String(rl.refunded_item_id),
        },
      ];
      return lineItem(store, base, meta, -1);
    }),
    shipping_lines: [],
    tax_lines: [],
    fee_lines: [],
    _links: {
      self: self(`${site}/wp-json/wc/v3/orders/${o.id}/refunds/${r.id}`, ["GET", "DELETE"]),
      collection: [{ href: `${site}/wp-json/wc/v3/orders/${o.id}/refunds` }],
      up: [{ href: `${site}/wp-json/wc/v3/orders/${o.id}` }],
    },
  };
}

/** The WordPress hooks behind each webhook topic (WC_Webhook::get_topic_hooks()). */
export const TOPIC_HOOKS: Record<string, string[]> = {
  "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
  "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
  "coupon.deleted": ["wp_trash_post"],
  "coupon.restored": ["untrashed_post"],
  "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
  "customer.updated": ["profile_update", "woocommerce_update_customer"],
  "customer.deleted": ["delete_user"],
  "order.created": ["woocommerce_new_order"],
  "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
  "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
  "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
  "product.created": [
    "woocommerce_process_product_meta",
    "woocommerce_new_product",
    "woocommerce_new_product_variation",
  ],
  "product.updated": [
    "woocommerce_process_product_meta",
    "woocommerce_update_product",
    "woocommerce_update_product_variation",
  ],
  "product.deleted": ["wp_trash_post"],
  "product.restored": ["untrashed_post"],
};

/**
 * REST v3 webhook body. Never carries the secret (WC_REST_Webhooks_V1_Controller::prepare_item_for_response leaves it
 * out); `date_modified` is null until the webhook is saved again.
 */
export function webhookJson(store: WooStore, w: WebhookRecord): Record<string, unknown> {
  const site = store.opts.siteUrl;
  const [resource, event] = w.topic.split(".");
  const modified = w.date_modified_ms > w.date_created_ms ? wcDate(w.date_modified_ms) : null;
  return {
    id: w.id,
    name: w.name,
    status: w.status,
    topic: w.topic,
    resource,
    event,
    hooks: TOPIC_HOOKS[w.topic] ?? (w.topic.startsWith("action.") ? [w.topic.slice(7)] : []),
    delivery_url: w.delivery_url,
    date_created: wcDate(w.date_created_ms),
    date_created_gmt: wcDate(w.date_created_ms),
    date_modified: modified,
    date_modified_gmt: modified,
    _links: {
      self: self(`${site}/wp-json/wc/v3/webhooks/${w.id}`),
      collection: [{ href: `${site}/wp-json/wc/v3/webhooks` }],
    },
  };
}

/**
 * `GET /wc/v3/system_status` with the real sections and keys (values of an emulated host). WooCommerce's
 * environment has no site title: a client that wants the store's name reads the REST index (`GET /wp-json/`).
 */
export function systemStatusJson(o: {
  siteUrl: string;
  currency: string;
  wcVersion: string;
  wpVersion: string;
  plugins: Array<{ plugin: string; name: string; version: string }>;
}): Record<string, unknown> {
  const plugin = (p: { plugin: string; name: string; version: string }) => ({
    ...p,
    version_latest: p.version,
    url: "",
    author_name: "",
    author_url: "",
    network_activated: false,
  });
  return {
    environment: {
      home_url: o.siteUrl,
      site_url: o.siteUrl,
      store_id: "00000000-0000-4000-8000-000000000000",
      version: o.wcVersion,
      log_directory: "/var/www/wp-content/uploads/wc-logs/",
      log_directory_writable: true,
      wp_version: o.wpVersion,
      wp_multisite: false,
      wp_memory_limit: 268435456,
      wp_debug_mode: false,
      wp_cron: true,
      language: "en_US",
      external_object_cache: null,
      server_info: "SyncFlow WooCommerce emulator",
      server_architecture: "Linux x86_64",
      php_version: "8.2.0",
      php_post_max_size: 8388608,
      php_max_execution_time: 30,
      php_max_input_vars: 1000,
      curl_version: "",
      suhosin_installed: false,
      max_upload_size: 2097152,
      mysql_version: "",
      mysql_version_string: "",
      default_timezone: "UTC",
      fsockopen_or_curl_enabled: true,
      soapclient_enabled: false,
      domdocument_enabled: true,
      gzip_enabled: true,
      mbstring_enabled: true,
      remote_post_successful: false,
      remote_post_response: false,
      remote_get_successful: false,
      remote_get_response: false,
    },
    database: {
      wc_database_version: o.wcVersion,
      database_prefix: "wp_",
      maxmind_geoip_database: "",
      database_tables: { woocommerce: {}, other: {} },
      database_size: { data: 0, index: 0 },
    },
    active_plugins: [
      plugin({ plugin: "woocommerce/woocommerce.php", name: "WooCommerce", version: o.wcVersion }),
      ...o.plugins.map(plugin),
    ],
    inactive_plugins: [],
    dropins_mu_plugins: { dropins: [], mu_plugins: [] },
    theme: {
      name: "Twenty Twenty-Five",
      version: "1.2",
      version_latest: "1.2",
      author_url: "https://wordpress.org/",
      is_child_theme: false,
      is_block_theme: true,
      has_woocommerce_support: true,
      has_woocommerce_file: false,
      has_outdated_templates: false,
      overrides: [],
      parent_name: "",
      parent_version: "",
      parent_version_latest: "",
      parent_author_url: "",
    },
    settings: {
      api_enabled: false,
      force_ssl: false,
      currency: o.currency,
      currency_symbol: "&#36;",
      currency_position: "left",
      thousand_separator: ",",
      decimal_separator: ".",
      number_of_decimals: 2,
      geolocation_enabled: false,
      taxonomies: { external: "external", grouped: "grouped", simple: "simple", variable: "variable" },
      product_visibility_terms: {},
      woocommerce_com_connected: "no",
      enforce_approved_download_dirs: true,
      order_datastore: "Automattic\\WooCommerce\\Internal\\DataStores\\Orders\\OrdersTableDataStore",
      HPOS_enabled: true,
      HPOS_sync_enabled: false,
      enabled_features: [],
    },
    security: { secure_connection: o.siteUrl.startsWith("https:"), hide_errors: true },
    pages: [],
    post_type_counts: [],
    logging: {
      logging_enabled: true,
      default_handler: "Automattic\\WooCommerce\\Internal\\Admin\\Logging\\LogHandlerFileV2",
      retention_period_days: 30,
      level_threshold: "none",
      log_directory_size: "0 B",
    },
  };
}
