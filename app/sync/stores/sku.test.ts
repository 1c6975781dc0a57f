import { describe, expect, it } from "vitest";
import { loadSampleCatalog, isStockable } from "../../../tests/fixtures/sample-catalog";
import { matchListings, normalizeSku } from "./sku";

describe("normalizeSku", () => {
  it("trims, lower-cases and collapses whitespace; empty is null", () => {
    expect(normalizeSku("  Woo-tshirt-logo ")).toBe("woo-tshirt-logo");
    expect(normalizeSku("A  B")).toBe("a b");
    expect(normalizeSku("   ")).toBeNull();
    expect(normalizeSku(null)).toBeNull();
  });
});

describe("matchListings on WooCommerce's sample catalog", () => {
  const catalog = loadSampleCatalog();
  const listings = catalog.map((p) => ({
    externalId: String(p.id),
    sku: p.sku,
    productType: p.type,
    manageStock: isStockable(p),
  }));
  // Shopify holds the stockable SKUs, some in another case than WooCommerce.
  const items = catalog
    .filter(isStockable)
    .map((p, i) => ({ id: `item-${i}`, skuKey: normalizeSku(i % 2 ? p.sku.toUpperCase() : p.sku)! }));
  const results = matchListings(items, listings);
  const by = (sku: string) => results.find((r) => r.listing.sku === sku)!;

  it("links mixed-case SKUs case-insensitively", () => {
    expect(by("Woo-tshirt-logo").status).toBe("linked");
    expect(by("Woo-beanie-logo").status).toBe("linked");
    expect(by("woo-hoodie-blue-logo").status).toBe("linked");
  });
  it("never links variable parents, grouped or external products", () => {
    expect(by("woo-hoodie").status).toBe("not_stocked");
    expect(by("logo-collection").status).toBe("not_stocked");
    expect(by("wp-pennant").status).toBe("not_stocked");
  });
  it("reports virtual/downloadable items that do not manage stock", () => {
    const album = by("woo-album");
    expect(album.status === "not_stocked" || album.status === "unmatched").toBe(true);
    expect(album.itemId === null || album.status === "not_stocked").toBe(true);
  });
  it("links every stockable item exactly once", () => {
    const linked = results.filter((r) => r.status === "linked");
    expect(linked.length).toBe(items.length);
    expect(new Set(linked.map((r) => r.itemId)).size).toBe(items.length);
  });
  it("reports duplicates and missing SKUs without linking them", () => {
    const r = matchListings(items, [
      { externalId: "1", sku: "woo-cap", productType: "simple", manageStock: true },
      { externalId: "2", sku: " woo-cap ", productType: "simple", manageStock: true },
      { externalId: "3", sku: "", productType: "simple", manageStock: true },
      { externalId: "4", sku: "not-in-shopify", productType: "simple", manageStock: true },
    ]);
    expect(r.map((x) => x.status)).toEqual(["duplicate_sku", "duplicate_sku", "no_sku", "unmatched"]);
    expect(r.every((x) => x.status === "linked" || x.reason)).toBe(true);
  });
});

describe("SKUs that differ only by letter case (docs/decisions/107)", () => {
  const L = (externalId: string, sku: string) => ({ externalId, sku, productType: "simple", manageStock: true });
  it("links the listing whose SKU matches Shopify's exactly and reports the other spelling as ambiguous, never linked", () => {
    const items = [{ id: "item-A", skuKey: "85123a", sku: "85123A" }];
    const [a, b] = matchListings(items, [L("1", "85123A"), L("2", "85123a")]);
    expect(a).toMatchObject({ status: "linked", itemId: "item-A" });
    expect(b).toMatchObject({ status: "ambiguous_sku", itemId: null });
    expect(b!.reason).toContain('"85123A"');
  });
  it("when Shopify has both spellings, a store listing links only on an exact match", () => {
    const items = [{ id: "item-A", skuKey: "85123a", sku: "85123A" }];
    const ambiguousKeys = new Set(["85123a"]);
    expect(matchListings(items, [L("1", "85123a")], { ambiguousKeys })[0]).toMatchObject({
      status: "ambiguous_sku",
      itemId: null,
    });
    expect(matchListings(items, [L("1", "85123A")], { ambiguousKeys })[0]).toMatchObject({
      status: "linked",
      itemId: "item-A",
    });
    // Without any ambiguity, case still does not matter (GUIDE §2).
    expect(matchListings(items, [L("1", "85123a")])[0]).toMatchObject({ status: "linked", itemId: "item-A" });
  });
  it("the same SKU written identically twice stays a duplicate, whatever the case of others", () => {
    const items = [{ id: "item-A", skuKey: "85123a", sku: "85123A" }];
    const r = matchListings(items, [L("1", "85123A"), L("2", "85123A"), L("3", "85123a")]);
    expect(r.map((x) => x.status)).toEqual(["duplicate_sku", "duplicate_sku", "ambiguous_sku"]);
  });
});
