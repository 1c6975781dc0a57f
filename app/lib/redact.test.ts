import { describe, expect, it } from "vitest";
import { redactUrl } from "./redact";

describe("redactUrl (request logs)", () => {
  it("drops OAuth codes, id_token, hmac, session, state, keys and signatures; keeps the rest", () => {
    expect(redactUrl("/auth/callback?code=abc123&shop=x.myshopify.com&hmac=ff&state=s1&timestamp=1")).toBe(
      "/auth/callback?code=[redacted]&shop=x.myshopify.com&hmac=[redacted]&state=[redacted]&timestamp=1",
    );
    expect(redactUrl("/app?embedded=1&id_token=eyJ.x.y&session=abc")).toBe(
      "/app?embedded=1&id_token=[redacted]&session=[redacted]",
    );
    expect(redactUrl("/x?consumer_key=ck_1&consumer_secret=cs_2&oauth_signature=zz&refresh_token=r")).toBe(
      "/x?consumer_key=[redacted]&consumer_secret=[redacted]&oauth_signature=[redacted]&refresh_token=[redacted]",
    );
    expect(redactUrl("/plain/path")).toBe("/plain/path");
    expect(redactUrl("/bad?%E0%A4%A=1&code=2")).toBe("/bad?%E0%A4%A=1&code=[redacted]");
    expect(redactUrl(undefined)).toBe("");
  });
});
