/** Demo admin entry: tokens Shopify's verifier accepts, demo-only gating, safe return paths. */
import { afterEach, describe, expect, it } from "vitest";
import { verifySessionToken } from "../../tests/emulators/shopify/session-token";
import {
  assertDemoMode,
  demoEmbeddedUrl,
  demoHost,
  demoReentryRedirect,
  mintDemoSessionToken,
  mintTokenForDemoShop,
  safeAppPath,
} from "./demo-session.server";

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe("demo session tokens", () => {
  it("mints an HS256 token with Shopify's claims that the emulator's verifier accepts", () => {
    const { token, exp } = mintDemoSessionToken({
      shop: "demo.myshopify.com",
      apiKey: "k",
      apiSecret: "s",
      now: Date.now(),
    });
    const claims = verifySessionToken(token, "k", "s");
    expect(claims).toMatchObject({
      iss: "https://demo.myshopify.com/admin",
      dest: "https://demo.myshopify.com",
      aud: "k",
      sub: "1",
      exp,
    });
    expect(claims.jti).toBeTruthy();
    expect(claims.sid).toMatch(/^[0-9a-f]{32}$/);
    expect(() => verifySessionToken(token, "k", "other-secret")).toThrow(/signature/);
  });

  it("refuses to mint or answer outside demo mode", () => {
    process.env.SYNCFLOW_MODE = "test";
    process.env.SYNCFLOW_DEMO_SHOP = "demo.myshopify.com";
    expect(() => assertDemoMode()).toThrow();
    expect(() => mintTokenForDemoShop()).toThrow();
    delete process.env.SYNCFLOW_MODE;
    try {
      mintTokenForDemoShop();
      expect.unreachable();
    } catch (e) {
      expect((e as Response).status).toBe(404);
    }
  });

  it("needs a myshopify demo shop", () => {
    process.env.SYNCFLOW_MODE = "demo";
    process.env.SYNCFLOW_DEMO_SHOP = "evil.example.com";
    process.env.SHOPIFY_API_KEY = "k";
    process.env.SHOPIFY_API_SECRET = "s";
    expect(() => mintTokenForDemoShop()).toThrow();
    process.env.SYNCFLOW_DEMO_SHOP = "demo.myshopify.com";
    expect(mintTokenForDemoShop().shop).toBe("demo.myshopify.com");
  });

  it("builds the embedded URL Shopify Admin would load, keeping only /app paths", () => {
    expect(demoHost("demo.myshopify.com")).toBe(Buffer.from("admin.shopify.com/store/demo").toString("base64"));
    const url = new URL(demoEmbeddedUrl("/app/inventory?q=tee&id_token=old", "demo.myshopify.com", "T"), "http://x");
    expect(url.pathname).toBe("/app/inventory");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      q: "tee",
      embedded: "1",
      shop: "demo.myshopify.com",
      host: demoHost("demo.myshopify.com"),
      id_token: "T",
    });
    for (const bad of [
      "https://evil.test/app",
      "//evil.test/app",
      "/auth/login",
      "/app//evil",
      "javascript:alert(1)",
      "/appx",
    ])
      expect(safeAppPath(bad)).toBe("/app");
    expect(safeAppPath("/app/activity?cause=order")).toBe("/app/activity?cause=order");
  });

  it("sends a param-less reload back through /demo/admin in demo mode only", () => {
    process.env.SYNCFLOW_MODE = "demo";
    let thrown: Response | undefined;
    try {
      demoReentryRedirect(new Request("http://app.test/app/activity?cause=order"));
    } catch (e) {
      thrown = e as Response;
    }
    expect(thrown?.status).toBe(302);
    expect(thrown?.headers.get("location")).toBe(
      `/demo/admin?return=${encodeURIComponent("/app/activity?cause=order")}`,
    );
    expect(() =>
      demoReentryRedirect(new Request("http://app.test/app", { headers: { authorization: "Bearer x" } })),
    ).not.toThrow();
    expect(() => demoReentryRedirect(new Request("http://app.test/app?shop=demo.myshopify.com"))).not.toThrow();
    process.env.SYNCFLOW_MODE = "test";
    expect(() => demoReentryRedirect(new Request("http://app.test/app/activity"))).not.toThrow();
  });
});
