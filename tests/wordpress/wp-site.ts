/**
 * What the WordPress tests share whatever runs the site: the `WpSite` handle and a small wp-admin browser (cookie
 * jar + form helpers). The site itself comes from ./real-woocommerce.ts (a real WooCommerce 10.0.2 on WordPress 6.8).
 */

/** A running WordPress site on 127.0.0.1. */
export interface WpSite {
  /** http://127.0.0.1:PORT — the URL WordPress knows itself by (OAuth signatures use it). */
  url: string;
  port: number;
  /** Calls the test-only control API (/wp-json/syncflow-test/v1/...). Throws on non-2xx. */
  control<T = any>(method: "GET" | "POST", route: string, body?: unknown): Promise<T>;
  /** Server output so far (for failure diagnostics). */
  log(): string;
  close(): Promise<void>;
}

/** Calls `<url>/wp-json/syncflow-test/v1<route>`; JSON in and out. @throws Error with status and body on non-2xx */
export async function callControl<T = any>(
  url: string,
  method: "GET" | "POST",
  route: string,
  body?: unknown,
): Promise<T> {
  const r = await fetch(`${url}/wp-json/syncflow-test/v1${route}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`control ${method} ${route} → ${r.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Minimal cookie jar + form helpers for wp-admin requests. */
export class AdminBrowser {
  private cookies = new Map<string, string>();
  constructor(private site: Pick<WpSite, "url">) {}

  private absorb(r: Response) {
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01[- ]Jan[- ]1970/i.test(c) || value === "deleted" || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  private header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  /** Logs in as `login` through the test control API (wp_set_auth_cookie). */
  async login(login: string) {
    const r = await fetch(`${this.site.url}/wp-json/syncflow-test/v1/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login }),
    });
    if (!r.ok) throw new Error(`login ${r.status}`);
    this.absorb(r);
  }
  async get(pathAndQuery: string) {
    const r = await fetch(this.site.url + pathAndQuery, { headers: { Cookie: this.header() }, redirect: "manual" });
    this.absorb(r);
    return { status: r.status, location: r.headers.get("location"), html: await r.text() };
  }
  async post(pathAndQuery: string, form: Record<string, string>) {
    const r = await fetch(this.site.url + pathAndQuery, {
      method: "POST",
      headers: { Cookie: this.header(), "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
      redirect: "manual",
    });
    this.absorb(r);
    return { status: r.status, location: r.headers.get("location"), html: await r.text() };
  }
}

/** Value of `<input name="NAME" value="...">` in html. */
export function inputValue(html: string, name: string): string | null {
  const re = new RegExp(`<input[^>]*name="${name.replace(/[[\]]/g, "\\$&")}"[^>]*>`, "i");
  const tag = re.exec(html)?.[0];
  if (!tag) return null;
  return /value="([^"]*)"/.exec(tag)?.[1] ?? "";
}

/** The official `@woocommerce/woocommerce-rest-api` client (OAuth 1.0a on http), as the tests drive a store. */
export interface WooRestApi {
  get(endpoint: string, params?: object): Promise<any>;
  post(endpoint: string, data: unknown, params?: object): Promise<any>;
  put(endpoint: string, data: unknown, params?: object): Promise<any>;
  delete(endpoint: string, params?: object): Promise<any>;
}

/** A REST client for `url` with a key; `version` is the namespace (default "wc/v3"). */
export async function wooRestApi(opts: {
  url: string;
  consumerKey: string;
  consumerSecret: string;
  version?: string;
  timeoutMs?: number;
}): Promise<WooRestApi> {
  const lib: any = await import("@woocommerce/woocommerce-rest-api");
  const d = lib.default;
  const Ctor = typeof d === "function" ? d : d.default; // CJS / ESM shapes of the package
  return new Ctor({
    url: opts.url,
    consumerKey: opts.consumerKey,
    consumerSecret: opts.consumerSecret,
    version: opts.version ?? "wc/v3",
    timeout: opts.timeoutMs ?? 60_000,
  });
}

/** One REST answer, whatever its status: {status, body, headers (lower-case names)}. */
export interface RestAnswer {
  status: number;
  body: any;
  headers: Record<string, string>;
}

/**
 * Calls `api` and returns the answer instead of throwing on 4xx/5xx.
 * @throws the library's error when there is no HTTP answer (network, timeout)
 */
export async function restCall(
  api: WooRestApi,
  method: "get" | "post" | "put" | "delete",
  endpoint: string,
  body?: unknown,
  params?: object,
): Promise<RestAnswer> {
  const shape = (r: any): RestAnswer => ({
    status: r.status,
    body: r.data,
    headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
  });
  try {
    const r =
      method === "get" || method === "delete"
        ? await api[method](endpoint, params ?? body ?? {})
        : await api[method](endpoint, body ?? {}, params ?? {});
    return shape(r);
  } catch (e: any) {
    if (!e?.response) throw e;
    return shape(e.response);
  }
}
