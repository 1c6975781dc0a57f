/** The retailer order documents validate against Shopify's Admin 2026-10 schema and fit its query-cost ceiling. */
import { describe, expect, it } from "vitest";
import { parse, validate, Kind, type OperationDefinitionNode } from "graphql";
import { SHOPIFY_API_VERSION } from "../shopify/api-version";
import { loadAdminSchema } from "../../../tests/emulators/shopify/schema";
import { MAX_SINGLE_QUERY_COST, requestedCost } from "../../../tests/emulators/shopify/cost";
import {
  ORDER_LINES_QUERY,
  ORDERS_PAGE,
  RETAILER_ORDERS_QUERY,
  salesOrderOf,
  updatedSince,
  type GqlOrder,
} from "./orders";

const schema = loadAdminSchema(SHOPIFY_API_VERSION);
const cost = (doc: string, vars: Record<string, unknown>) => {
  const d = parse(doc);
  const op = d.definitions.find((x) => x.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  return requestedCost(schema, d, op, vars);
};

describe("retailer order documents", () => {
  for (const [name, doc] of Object.entries({ RETAILER_ORDERS_QUERY, ORDER_LINES_QUERY }))
    it(`${name} is valid against admin ${SHOPIFY_API_VERSION}`, () => {
      expect(validate(schema, parse(doc)).map((e) => e.message)).toEqual([]);
    });

  it("each call stays under Shopify's single-query cost ceiling", () => {
    const page = cost(RETAILER_ORDERS_QUERY, { first: ORDERS_PAGE, after: null, query: "x" });
    expect(page).toBeLessThanOrEqual(MAX_SINGLE_QUERY_COST);
    expect(cost(ORDER_LINES_QUERY, { id: "gid://shopify/Order/1", after: null })).toBeLessThanOrEqual(
      MAX_SINGLE_QUERY_COST,
    );
  });

  it("searches by updated_at from an ISO time", () => {
    expect(updatedSince("2026-12-05T06:00:00+01:00")).toBe("updated_at:>='2026-12-05T05:00:00.000Z'");
  });
});

describe("salesOrderOf", () => {
  const order = (over: Partial<GqlOrder> = {}): GqlOrder => ({
    id: "gid://shopify/Order/1",
    name: "#1001",
    email: "a@example.com",
    createdAt: "2026-12-05T06:00:00Z",
    updatedAt: "2026-12-05T06:05:00Z",
    cancelledAt: null,
    displayFinancialStatus: "PAID",
    currencyCode: "USD",
    totalPriceSet: { shopMoney: { amount: "30.00" } },
    customer: { firstName: "Ann", lastName: "Lee" },
    refunds: [],
    lineItems: { nodes: [], pageInfo: { hasNextPage: false, endCursor: null } },
    ...over,
  });
  const lines = [
    {
      id: "gid://shopify/LineItem/1",
      sku: "A",
      name: "Cap",
      quantity: 3,
      variant: { id: "gid://shopify/ProductVariant/9" },
      product: { id: "gid://shopify/Product/8" },
      originalUnitPriceSet: { shopMoney: { amount: "10.00" } },
    },
  ];
  const refund = (restockType: string, quantity: number, more = false) => ({
    refundLineItems: {
      nodes: [{ quantity, restockType, lineItem: { id: "gid://shopify/LineItem/1" } }],
      pageInfo: { hasNextPage: more },
    },
  });

  it("is the order its webhooks make: header, lines, units still taken", () => {
    const o = salesOrderOf(order(), lines, [refund("RETURN", 1), refund("NO_RESTOCK", 1)]);
    expect(o).toMatchObject({ orderId: "gid://shopify/Order/1", number: "#1001", status: "paid", total: "30.00" });
    expect(o.customer).toEqual({ firstName: "Ann Lee", lastName: null, email: "a@example.com" });
    expect(o.lines).toEqual([
      {
        lineId: "gid://shopify/LineItem/1",
        productId: "gid://shopify/Product/8",
        variantId: "gid://shopify/ProductVariant/9",
        sku: "A",
        quantity: 3,
        price: "10.00",
        title: "Cap",
        stockTaken: 2, // one restocked (RETURN), one refunded without restock (still taken)
      },
    ]);
  });

  it("a cancelled order takes nothing; a refund not read whole leaves the tally to the engine", () => {
    expect(salesOrderOf(order({ cancelledAt: "2026-12-05T06:04:00Z" }), lines, []).lines[0]!.stockTaken).toBe(0);
    expect(salesOrderOf(order(), lines, [refund("RETURN", 1, true)]).lines[0]!.stockTaken).toBeNull();
  });
});
