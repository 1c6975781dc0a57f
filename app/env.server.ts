/**
 * Every environment variable SyncFlow reads — app, worker, scripts, tests and benchmarks — in one place, each with
 * its type, default and meaning (decision 192). The README's "Environment variables" table is generated from
 * `ENV_VARS` (`npm run env:table`) and `app/env.server.test.ts` fails when the two differ or when any file reads a
 * `process.env.X` that is not declared here.
 *
 * Reading: `env.NAME` parses `process.env.NAME` through the variable's zod schema on every access (cached per raw
 * value, so a hot path costs one string compare), so tests and the demo that set `process.env` at run time see their
 * values. An empty string counts as unset. An invalid value throws `EnvError` naming the variable, its value's problem
 * and its description — never a silent fallback to the default.
 *
 * Checking: `envProblems()` lists every invalid value at once; the production entry points (`npm start`,
 * `npm run worker`) refuse to start on any (app/lib/production-checks.server.ts, exit 78).
 *
 * Units: durations say theirs in the name (`_MS` milliseconds, `_S` seconds, `_DAYS`); quantities are counts.
 */
import { z } from "zod";

/** Who reads a variable (the README groups the table by it). */
export type EnvScope = "production" | "tuning" | "demo/test" | "test tooling";

/** One declared variable: its schema (input: the raw string, or undefined when unset/empty), default, meaning. */
export interface EnvVar<T extends z.ZodType = z.ZodType> {
  schema: T;
  /** The default as the README shows it ("" = none). */
  default: string;
  scope: EnvScope;
  description: string;
}

/** An environment variable holds a value its schema rejects. */
export class EnvError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = "EnvError";
  }
}

const v = <T extends z.ZodType>(scope: EnvScope, dflt: string, description: string, schema: T): EnvVar<T> => ({
  schema,
  default: dflt,
  scope,
  description,
});

/** A whole number within [min, max], `dflt` when unset. */
const int = (dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(dflt);
/** A whole number within [min, max], undefined when unset. */
const optInt = (min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).optional();
/** A number of seconds within [min, max] (fractions allowed: tests shorten windows below a second). */
const seconds = (dflt: number, min = 0, max = 86_400 * 365) => z.coerce.number().min(min).max(max).default(dflt);
/** "1"/"true"/"yes" → true, "0"/"false"/"no" → false, unset → false. */
const flag = () =>
  z
    .enum(["1", "0", "true", "false", "yes", "no"])
    .optional()
    .transform((s) => s === "1" || s === "true" || s === "yes");
const text = () => z.string().optional();
const httpUrl = () =>
  z
    .string()
    .refine((s) => /^https?:\/\/[^\s/]+/.test(s) && URL.canParse(s), "must be an http(s) URL, e.g. https://host")
    .optional();
const postgresUrl = () =>
  z
    .string()
    .refine((s) => /^postgres(ql)?:\/\//.test(s) && URL.canParse(s), "must be a postgresql:// connection string")
    .optional();

/**
 * The declared variables. Order = the README table's order within a scope. Source of each platform rule: the
 * module named in the description.
 */
export const ENV_VARS = {
  // ---- production: what an operator sets
  DATABASE_URL: v(
    "production",
    "embedded PostgreSQL",
    "PostgreSQL connection string. Unset: the embedded PostgreSQL of this checkout is started and this is set for the process (app/db/embedded-postgres.server.ts).",
    postgresUrl(),
  ),
  SHOPIFY_API_KEY: v("production", "", "The app's client id (Partner Dashboard). Required by shopifyApp().", text()),
  SHOPIFY_API_SECRET: v(
    "production",
    "",
    "The app's client secret: verifies webhook HMACs and session tokens. Required by shopifyApp().",
    text(),
  ),
  SHOPIFY_APP_URL: v(
    "production",
    "",
    "The app's public https origin (tunnel or host); also the hub URL stores register with and the base of OAuth redirects.",
    httpUrl(),
  ),
  SCOPES: v(
    "production",
    "read_products,read_inventory,write_inventory,read_orders,write_orders,read_locations,write_merchant_managed_fulfillment_orders",
    "Comma-separated Admin API access scopes the app requests.",
    z
      .string()
      .regex(/^[a-z_]+(,[a-z_]+)*$/, "must be comma-separated scope names")
      .optional(),
  ),
  SHOPIFY_APP_HANDLE: v(
    "production",
    "syncflow",
    "The app's handle in the Shopify admin URL (billing return URL).",
    z
      .string()
      .regex(/^[a-z0-9-]+$/, "must be a lowercase handle")
      .optional(),
  ),
  SYNCFLOW_ENCRYPTION_KEY: v(
    "production",
    "",
    "32 random bytes, base64 (`openssl rand -base64 32`): encrypts store keys and Shopify tokens at rest. Production refuses to start without it (app/lib/crypto.server.ts).",
    text(),
  ),
  SYNCFLOW_ENCRYPTION_KEYS_RETIRED: v(
    "production",
    "",
    "Comma-separated earlier keys, still accepted for decryption during rotation (docs/security.md).",
    text(),
  ),
  SYNCFLOW_WORKER: v(
    "production",
    "in-process",
    "`separate`: `npm start` runs no worker; run `npm run worker` processes yourself.",
    z.enum(["separate"]).optional(),
  ),
  SYNCFLOW_WORKER_NICE: v(
    "production",
    "5",
    "CPU niceness a worker process gives itself (0 keeps it) so webhook acknowledgements come first (decision 072).",
    int(5, 0, 19),
  ),
  SYNCFLOW_TRUSTED_PROXIES: v(
    "production",
    "0",
    "How many proxies that set X-Forwarded-For stand in front of the app (rate limits per real client address).",
    optInt(0, 32),
  ),
  SYNCFLOW_TRUST_PROXY: v("production", "", "Older form of SYNCFLOW_TRUSTED_PROXIES=1 (`1` trusts one proxy).", flag()),
  SYNCFLOW_PLUGIN_1_0_GRACE_UNTIL: v(
    "production",
    "",
    "ISO date until which plugin 1.0.0 signatures are still accepted (app/lib/plugin-signature.server.ts).",
    z
      .string()
      .refine((s) => Number.isFinite(Date.parse(s)), "must be an ISO date, e.g. 2027-01-31")
      .optional(),
  ),
  SYNCFLOW_WEBHOOK_RETENTION_DAYS: v(
    "production",
    "7",
    "Days a processed webhook receipt's body is kept.",
    int(7, 1, 3650),
  ),
  SMTP_URL: v(
    "production",
    "",
    "SMTP relay for e-mail notifications (`smtps://user:pass@host:465` or `smtp://…` with STARTTLS). Unset: e-mail is off.",
    z
      .string()
      .regex(/^smtps?:\/\//, "must start with smtp:// or smtps://")
      .optional(),
  ),
  SMTP_ALLOW_PLAINTEXT: v(
    "production",
    "",
    "`1` lets an `smtp://` relay without STARTTLS be used in clear (docs/security.md).",
    flag(),
  ),
  NOTIFY_FROM: v("production", "syncflow@ the app host", "From address of notification e-mails.", text()),
  TWILIO_ACCOUNT_SID: v(
    "production",
    "",
    "Twilio account for SMS notifications. SMS is on when this, a credential and a sender are set.",
    text(),
  ),
  TWILIO_AUTH_TOKEN: v("production", "", "Twilio auth token (or use TWILIO_API_KEY + TWILIO_API_SECRET).", text()),
  TWILIO_API_KEY: v(
    "production",
    "",
    "Twilio API key sid (with TWILIO_API_SECRET), instead of the auth token.",
    text(),
  ),
  TWILIO_API_SECRET: v("production", "", "Twilio API key secret.", text()),
  TWILIO_FROM: v("production", "", "SMS sender number (or TWILIO_MESSAGING_SERVICE_SID).", text()),
  TWILIO_MESSAGING_SERVICE_SID: v("production", "", "Twilio messaging service used as the SMS sender.", text()),
  TWILIO_STATUS_CALLBACK_URL: v(
    "production",
    "",
    "URL Twilio posts delivery statuses to; unset: statuses are polled.",
    httpUrl(),
  ),
  GOOGLE_CLIENT_ID: v(
    "production",
    "",
    "Google OAuth client id for the Google Sheets export. Unset: Sheets export is off.",
    text(),
  ),
  GOOGLE_CLIENT_SECRET: v("production", "", "Google OAuth client secret for the Sheets export.", text()),
  AMAZON_LWA_CLIENT_ID: v(
    "production",
    "",
    "Login with Amazon client id of SyncFlow's Selling Partner API application. Unset: Connect Amazon is off.",
    text(),
  ),
  AMAZON_LWA_CLIENT_SECRET: v("production", "", "Login with Amazon client secret of the SP-API application.", text()),
  AMAZON_SP_APP_ID: v(
    "production",
    "",
    "SP-API application id (amzn1.sp.solution.…) named on Seller Central's consent page.",
    text(),
  ),
  AMAZON_SP_APP_DRAFT: v(
    "production",
    "false",
    "The SP-API application is still a draft: its website authorisation asks for `version=beta`.",
    flag(),
  ),
  AMAZON_SP_API_ENDPOINT: v(
    "demo/test",
    "the marketplace region's endpoint",
    "SP-API base URL override (the Amazon emulator in tests and the demo).",
    httpUrl(),
  ),
  AMAZON_LWA_TOKEN_URL: v(
    "demo/test",
    "https://api.amazon.com/auth/o2/token",
    "Login with Amazon token URL override (the Amazon emulator).",
    httpUrl(),
  ),
  AMAZON_RATE_SCALE: v(
    "demo/test",
    "1",
    "Multiplies the SP-API usage plans' refill rates the Amazon adapter paces by, to match an Amazon emulator started with the same `rateScale` (tests that poll many times a minute). Production: 1, the published plans.",
    int(1, 1, 1000),
  ),
  AMAZON_CONSENT_BASE_URL: v(
    "demo/test",
    "the marketplace's Seller Central",
    "Base URL of the consent page (`/apps/authorize/consent`) override (the Amazon emulator).",
    httpUrl(),
  ),
  AMAZON_FEED_MIN_OPS: v(
    "tuning",
    "25",
    "Fewest Amazon quantity writes sent as one listings feed.",
    int(25, 2, 10_000),
  ),
  AMAZON_FEED_POLL_MS: v(
    "tuning",
    "30000",
    "Pause between checks of an Amazon feed's processing (ms).",
    int(30_000, 10, 600_000),
  ),
  AMAZON_FEED_TIMEOUT_MS: v(
    "tuning",
    "900000",
    "How long a write waits for an Amazon feed's report before its outcome counts as unknown (ms).",
    int(900_000, 100, 3_600_000),
  ),
  ETSY_KEYSTRING: v(
    "production",
    "",
    "Keystring (client id) of SyncFlow's Etsy Open API v3 app. Unset: Connect Etsy is off.",
    text(),
  ),
  ETSY_SHARED_SECRET: v(
    "production",
    "",
    "Shared secret of the Etsy app (sent as `x-api-key: keystring:secret`).",
    text(),
  ),
  ETSY_QPD: v(
    "tuning",
    "10000",
    "The Etsy app's requests per 24 h (Etsy's default 10,000; set to the raised limit Etsy granted): the budget every Etsy shop shares.",
    int(10_000, 100, 10_000_000),
  ),
  ETSY_QPS: v(
    "tuning",
    "8",
    "Etsy requests in any one second SyncFlow sends at most, every process together (Etsy allows the app 10).",
    int(8, 1, 1000),
  ),
  ETSY_RECEIPTS_PAGE_SIZE: v("tuning", "100", "Etsy receipts per getShopReceipts page (1–100).", int(100, 1, 100)),
  ETSY_API_BASE: v(
    "demo/test",
    "https://openapi.etsy.com",
    "Etsy API base URL override (the Etsy emulator).",
    httpUrl(),
  ),
  ETSY_TOKEN_URL: v(
    "demo/test",
    "https://api.etsy.com/v3/public/oauth/token",
    "Etsy OAuth token URL override (the Etsy emulator).",
    httpUrl(),
  ),
  ETSY_CONSENT_URL: v(
    "demo/test",
    "https://www.etsy.com/oauth/connect",
    "Etsy OAuth consent page override (the Etsy emulator).",
    httpUrl(),
  ),
  NODE_ENV: v(
    "production",
    "production",
    "Remix's mode (`npm start` sets `production` when unset).",
    z.enum(["production", "development", "test"]).optional(),
  ),
  PORT: v("production", "3000", "Port the app server (and vite) listens on.", int(3000, 1, 65535)),
  HOST: v("production", "all interfaces", "Address the app server binds to.", text()),

  // ---- tuning: safe defaults; change only with a measured reason
  DATABASE_POOL_MAX: v("tuning", "10", "Connections in the app's Prisma pool.", int(10, 1, 500)),
  QUEUE_POOL_MAX: v("tuning", "5", "Connections in pg-boss's pool.", int(5, 1, 500)),
  SYNCFLOW_RETRY_LIMIT: v(
    "tuning",
    "5",
    "Retries of a failed job before it goes to the dead letter queue.",
    int(5, 0, 100),
  ),
  SYNCFLOW_RETRY_DELAY_S: v(
    "tuning",
    "2",
    "First retry delay of a failed job (s); doubles each try, at most 300 s.",
    seconds(2, 0, 300),
  ),
  SYNCFLOW_JOB_HEARTBEAT_S: v(
    "tuning",
    "30",
    "Heartbeat of a running job (s, at least 10); a claim without one is taken back.",
    seconds(30, 1, 3600),
  ),
  SYNCFLOW_SHOPIFY_MAX_RETRIES: v(
    "tuning",
    "client default",
    "Retries of a throttled or failed Shopify call.",
    optInt(0, 20),
  ),
  SYNCFLOW_SHOPIFY_BACKOFF_MS: v(
    "tuning",
    "client default",
    "First backoff of a Shopify retry (ms).",
    optInt(0, 60_000),
  ),
  SYNCFLOW_BULK_THRESHOLD: v(
    "tuning",
    "2000",
    "Listings above which reconciliation reads Shopify with a bulk operation instead of pages.",
    int(2000, 0),
  ),
  SYNCFLOW_BULK_POLL_MS: v("tuning", "1000", "Poll interval of a Shopify bulk operation (ms).", int(1000, 1, 60_000)),
  SYNCFLOW_RECONCILE_CHUNK: v("tuning", "1000", "Listings per reconciliation chunk.", int(1000, 1)),
  SYNCFLOW_SNAPSHOT_PAGE: v(
    "tuning",
    "5000",
    "Rows per page of a stock snapshot read (at most 5000).",
    int(5000, 1, 5000),
  ),
  SYNCFLOW_REBALANCE_ROUND: v(
    "tuning",
    "800",
    "Items per allocation rebalance round (a multiple of a store's workers × 100 operations per call; decision 318).",
    int(800, 1),
  ),
  SYNCFLOW_WOO_READ_CONCURRENCY: v(
    "tuning",
    "2",
    "Product pages read at once from one WooCommerce store during reconciliation (the adapter's declared reconcileConcurrency.read).",
    int(2, 1, 64),
  ),
  SYNCFLOW_WOO_WRITE_CONCURRENCY: v(
    "tuning",
    "2",
    "Single corrections written at once to one WooCommerce store during reconciliation (the adapter's declared reconcileConcurrency.write).",
    int(2, 1, 64),
  ),
  SYNCFLOW_WOO_CONCURRENCY_INITIAL: v(
    "tuning",
    "2",
    "Starting concurrency of the adaptive per-store WooCommerce limiter.",
    int(2, 1, 256),
  ),
  SYNCFLOW_WOO_CONCURRENCY_MAX: v(
    "tuning",
    "16",
    "Ceiling of the adaptive per-store WooCommerce limiter.",
    int(16, 1, 256),
  ),
  WOO_TIMEOUT_MS: v("tuning", "15000", "Timeout of one WooCommerce REST call (ms).", int(15_000, 1)),
  SYNCFLOW_STORE_RESPONSE_MAX_BYTES: v(
    "tuning",
    "16777216 (16 MiB)",
    "Largest response body accepted from a store (bytes).",
    optInt(1),
  ),
  SYNCFLOW_STORE_REQUEST_MAX_MS: v("tuning", "120000", "Total deadline of one request to a store (ms).", optInt(1)),
  SYNCFLOW_REGISTER_ATTEMPTS: v(
    "tuning",
    "10",
    "Store registration attempts per client address per window.",
    int(10, 1),
  ),
  SYNCFLOW_REGISTER_SHOP_ATTEMPTS: v("tuning", "30", "Store registration attempts per shop per window.", int(30, 1)),
  // issue 18 (M): the merchant API (app/api, docs/decisions/280)
  SYNCFLOW_API_RATE_LIMIT: v("tuning", "120", "Merchant API requests per key per window.", int(120, 1)),
  SYNCFLOW_API_RATE_WINDOW_S: v("tuning", "60", "Window of the merchant API rate limit (s).", int(60, 1)),
  SYNCFLOW_REGISTER_LINK_BUDGET_MS: v(
    "tuning",
    "20000",
    "Time a registration may spend linking listings before it answers (ms); the rest continues as a job.",
    int(20_000, 0),
  ),
  NOTIFY_EMAIL_LIMIT: v("tuning", "20", "E-mails per recipient per window.", int(20, 0)),
  NOTIFY_EMAIL_WINDOW_S: v("tuning", "900", "E-mail rate-limit window (s).", seconds(900, 0)),
  NOTIFY_EMAIL_DAILY_MAX: v("tuning", "500", "E-mails per recipient per day.", int(500, 0)),
  NOTIFY_SMS_LIMIT: v("tuning", "1", "SMS per recipient per window.", int(1, 0)),
  NOTIFY_SMS_WINDOW_S: v("tuning", "600", "SMS rate-limit window (s).", seconds(600, 0)),
  NOTIFY_SMS_DAILY_MAX: v("tuning", "20", "SMS per recipient per day.", int(20, 0)),
  NOTIFY_SMS_STATUS_DELAY_S: v(
    "tuning",
    "30",
    "First poll of an SMS delivery status (s); doubles each poll.",
    seconds(30, 0),
  ),
  NOTIFY_TEST_LIMIT: v("tuning", "5", "Test notifications a shop may send per hour.", int(5, 0)),
  NOTIFY_WATCH_DEBOUNCE_S: v("tuning", "1", "Debounce of the stock watcher after a change (s).", seconds(1, 0)),
  SHEETS_DEBOUNCE_S: v("tuning", "10", "Debounce of a Google Sheets export after a change (s).", seconds(10, 0)),

  // ---- demo/test: production refuses the first four (app/lib/production-checks.server.ts)
  SYNCFLOW_MODE: v(
    "demo/test",
    "",
    "`demo` or `test`: points Shopify, Twilio and Google clients at the emulators and enables demo behaviour. Never in production.",
    z.enum(["demo", "test"]).optional(),
  ),
  SHOPIFY_ADMIN_ORIGIN: v(
    "demo/test",
    "",
    "Origin of the emulated Shopify Admin API (with SYNCFLOW_MODE). Never in production.",
    httpUrl(),
  ),
  SYNCFLOW_DEMO_SHOP: v("demo/test", "", "The demo's shop domain (demo sessions). Never in production.", text()),
  SYNCFLOW_ALLOW_LOOPBACK_STORES: v(
    "demo/test",
    "",
    "`1` lets the hub call stores on loopback and plain http (decision 141). Never in production.",
    flag(),
  ),
  SYNCFLOW_BILLING_TEST: v("demo/test", "", "`1` makes Billing API charges test charges (development stores).", flag()),
  SYNCFLOW_TEST_DEFAULT_PLAN: v(
    "demo/test",
    "enterprise",
    "Plan a shop is on in SYNCFLOW_MODE=test without a subscription.",
    z
      .string()
      .regex(/^[a-z]+$/, "must be a plan name")
      .optional(),
  ),
  TWILIO_API_BASE: v("demo/test", "", "Base URL of the emulated Twilio API (demo/test mode only).", httpUrl()),
  GOOGLE_API_ROOT_URL: v(
    "demo/test",
    "",
    "Root URL of the emulated Google Sheets API (demo/test mode only).",
    httpUrl(),
  ),
  GOOGLE_OAUTH_BASE: v(
    "demo/test",
    "",
    "Base URL of the emulated Google OAuth endpoints (demo/test mode only).",
    httpUrl(),
  ),
  SYNCFLOW_QUEUE_SCHEMA: v(
    "demo/test",
    "pgboss",
    "PostgreSQL schema of pg-boss's tables (tests give each run its own).",
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, "must be a lowercase SQL identifier")
      .optional(),
  ),
  SYNCFLOW_QUEUE_SUPERVISE_S: v(
    "demo/test",
    "60",
    "pg-boss's monitor interval (s); tests shorten it so dead claims are found fast.",
    optInt(1, 3600),
  ),
  SYNCFLOW_JOB_LOG: v("demo/test", "", "`1` logs every finished job (the fault harness reads it).", flag()),
  SYNCFLOW_DEMO_PORT: v(
    "demo/test",
    "a free port",
    "Port of the demo's app server (`npm run demo`).",
    optInt(1, 65535),
  ),
  SYNCFLOW_DEMO_VERBOSE: v("demo/test", "", "`1` shows the demo's child process output.", flag()),
  SYNCFLOW_DEMO_CHILD: v(
    "demo/test",
    "",
    "Set by the demo's supervisor for the demo process it starts (internal).",
    flag(),
  ),
  SYNCFLOW_SETUP_VERBOSE: v(
    "demo/test",
    "",
    "`1` shows npm's output when `scripts/setup.mjs` installs packages.",
    flag(),
  ),
  SYNCFLOW_SKIP_BUILD: v(
    "demo/test",
    "",
    "`1` reuses an existing build/ instead of rebuilding (tests, benches).",
    flag(),
  ),

  // ---- test tooling: read by tests/, bench/ and scripts/test-all.ts only
  TEST_DATABASE_URL: v(
    "test tooling",
    "embedded PostgreSQL",
    "PostgreSQL the tests use (tests/setup/global-db.ts).",
    postgresUrl(),
  ),
  BENCH_DATABASE_URL: v(
    "test tooling",
    "embedded PostgreSQL",
    "PostgreSQL the benchmarks use (bench/lib/stack.ts).",
    postgresUrl(),
  ),
  CHROMIUM_PATH: v("test tooling", "/usr/bin/chromium", "Chromium the browser tests drive.", text()),
  WOOCOMMERCE_ZIP: v(
    "test tooling",
    "",
    "woocommerce-10.0.2.zip for the real-WooCommerce tests (.ci/run uses ../shared/vendor); unset: those tests are skipped.",
    text(),
  ),
  WORDPRESS_ZIP: v(
    "test tooling",
    "",
    "wordpress-6.8.zip for the real-WooCommerce tests; unset: those tests are skipped.",
    text(),
  ),
  E2E_SKIP_BUILD: v("test tooling", "", "`1` lets the browser tests reuse an existing build/.", flag()),
  E2E_DEBUG: v("test tooling", "", "Set: the real-WooCommerce end-to-end test prints its timeline.", text()),
  FUZZ_RUNS: v("test tooling", "5600", "Requests the public-routes fuzzer sends.", optInt(1)),
  FUZZ_SEED: v("test tooling", "random", "Seed of the public-routes fuzzer (replays a failure).", optInt(0)),
  FUZZ_LOG: v("test tooling", "", "File the fuzzer writes the server's stderr to when it fails.", text()),
  UPDATE_SHOPIFY_FIXTURES: v(
    "test tooling",
    "",
    "Set: the Shopify emulator's contract test rewrites its recorded fixtures.",
    text(),
  ),
  BENCH_SHOPIFY_LATENCY_MS: v(
    "test tooling",
    "75",
    "Latency the emulated Shopify adds per call in benchmarks (ms).",
    optInt(0),
  ),
  BENCH_AMAZON_LATENCY_MS: v(
    "test tooling",
    "250",
    "Round trip of each emulated Amazon call in the stream bench (ms).",
    int(250, 0, 60_000),
  ),
  BENCH_AMAZON_FEED_MS: v(
    "test tooling",
    "120000",
    "How long an emulated Amazon listings feed takes in the stream bench (ms).",
    int(120_000, 0, 3_600_000),
  ),
  BENCH_AMAZON_INDEX_LAG_MS: v(
    "test tooling",
    "30000",
    "How late an Amazon order reaches getOrders in the stream bench (ms).",
    int(30_000, 0, 600_000),
  ),
  BENCH_ETSY_LATENCY_MS: v(
    "test tooling",
    "300",
    "Round trip of each emulated Etsy call in the stream bench (ms).",
    int(300, 0, 60_000),
  ),
  BENCH_ETSY_INDEX_LAG_MS: v(
    "test tooling",
    "15000",
    "How late an Etsy receipt reaches getShopReceipts in the stream bench (ms).",
    int(15_000, 0, 600_000),
  ),
  BENCH_APP_NODE_ARGS: v(
    "test tooling",
    "",
    "Extra Node flags for the benchmarked app process (e.g. --cpu-prof).",
    text(),
  ),
  BENCH_WORKER_NODE_ARGS: v("test tooling", "", "Extra Node flags for the benchmarked worker process.", text()),
  BENCH_QUERY_COUNT: v(
    "test tooling",
    "",
    "Path prefix for the query counter's snapshots (bench/lib/query-count.cjs, preloaded into the worker).",
    text(),
  ),
  BENCH_WORKERS: v("test tooling", "1", "Worker processes the benchmark starts on the shared queues.", optInt(1)),
  BENCH_VERBOSE: v("test tooling", "", "Set: benchmarks show the app's and worker's full output.", text()),
  BENCH_DEBUG: v("test tooling", "", "Set: benchmarks print their internal timelines.", text()),
  BENCH_EXPLAIN_MS: v(
    "test tooling",
    "",
    "Analytics bench: log the plan of every statement slower than this (ms) through auto_explain (bench/analytics.ts).",
    text(),
  ),
  SYNCFLOW_WP_PROFILE: v(
    "test tooling",
    "",
    "Plugin cost bench: a directory; set by bench/woo-plugin-cost.ts --profile for the real WooCommerce's PHP workers, whose test profile mu-plugin then logs each SyncFlow request's queries, phases and samples there.",
    text(),
  ),
  SYNCFLOW_WP_CPU: v(
    "test tooling",
    "",
    "Plugin cost bench: a directory; set by bench/woo-plugin-cost.ts for the real WooCommerce's PHP workers, whose test profile mu-plugin then writes each SyncFlow request's CPU time (getrusage), wall time and query count there.",
    text(),
  ),
  RUNS: v("test tooling", "5", "Page loads per measurement of the admin LCP benchmark.", optInt(1)),
} as const satisfies Record<string, EnvVar>;

/** A declared variable's name. */
export type EnvName = keyof typeof ENV_VARS;
/** The parsed type of each variable. */
export type Env = { readonly [K in EnvName]: z.output<(typeof ENV_VARS)[K]["schema"]> };

const cache = new Map<string, { raw: string | undefined; value: unknown }>();

function raw(name: string, source: Record<string, string | undefined>): string | undefined {
  const s = source[name];
  return s === undefined || s.trim() === "" ? undefined : s;
}

/**
 * Parses one variable from `source` (default `process.env`).
 * @throws EnvError naming the variable, what is wrong and what it is for
 */
export function readEnv<K extends EnvName>(name: K, source: Record<string, string | undefined> = process.env): Env[K] {
  const r = raw(name, source);
  const hit = source === process.env ? cache.get(name) : undefined;
  if (hit && hit.raw === r) return hit.value as Env[K];
  const spec: EnvVar = ENV_VARS[name];
  const res = spec.schema.safeParse(r);
  if (!res.success) {
    const why = res.error.issues.map((i) => i.message).join("; ");
    throw new EnvError(name, `${name}=${JSON.stringify(r)} is invalid: ${why} (${spec.description})`);
  }
  if (source === process.env) cache.set(name, { raw: r, value: res.data });
  return res.data as Env[K];
}

/** The parsed environment: `env.NAME` reads `process.env.NAME` now (see the module comment). Throws EnvError. */
export const env: Env = Object.defineProperties(
  {},
  Object.fromEntries(
    Object.keys(ENV_VARS).map((name) => [name, { enumerable: true, get: () => readEnv(name as EnvName) }]),
  ),
) as Env;

/** One line per variable in `source` whose value its schema rejects (empty when all are valid). */
export function envProblems(source: Record<string, string | undefined> = process.env): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(ENV_VARS) as EnvName[]) {
    try {
      readEnv(name, source);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}

/** The table's title per scope, in README order. */
const SCOPE_TITLES: Record<EnvScope, string> = {
  production: "Production (what an operator sets)",
  tuning: "Tuning (safe defaults; change with a measured reason)",
  "demo/test":
    "Demo and tests only (production refuses `SYNCFLOW_MODE`, `SHOPIFY_ADMIN_ORIGIN`, `SYNCFLOW_DEMO_SHOP`, `SYNCFLOW_ALLOW_LOOPBACK_STORES`)",
  "test tooling": "Test and benchmark tooling (read by tests/, bench/ and scripts/test-all.ts)",
};

/** The README's environment table (Markdown) generated from `ENV_VARS`. */
export function envMarkdownTable(): string {
  const lines: string[] = [];
  for (const scope of Object.keys(SCOPE_TITLES) as EnvScope[]) {
    lines.push(`**${SCOPE_TITLES[scope]}**`, "", "| Variable | Default | What it does |", "|---|---|---|");
    for (const [name, spec] of Object.entries(ENV_VARS) as [string, EnvVar][]) {
      if (spec.scope !== scope) continue;
      const cell = (s: string) => s.replace(/\|/g, "\\|");
      lines.push(`| \`${name}\` | ${spec.default ? cell(spec.default) : "—"} | ${cell(spec.description)} |`);
    }
    lines.push("");
  }
  return lines.join("\n").trimEnd();
}

/** Markers around the generated table in README.md. */
export const README_ENV_BEGIN = "<!-- env-table:begin (generated from app/env.server.ts by `npm run env:table`) -->";
export const README_ENV_END = "<!-- env-table:end -->";
