/**
 * Backend of the admin block on the product details page (extensions/syncflow-product-block).
 *
 *   GET  /api/extension/product?id=gid://shopify/Product/<n>   → ProductBlockData (app/models/product-block.server.ts)
 *   POST /api/extension/product  {"intent":"sync","id":"gid://shopify/Product/<n>"} → {"ok":true,"runId":…} (202)
 *
 * Authenticated with the extension's session token (`Authorization: Bearer <id token>`, verified by
 * `authenticate.admin`, which also answers the CORS preflight from the extension's origin); every answer
 * carries the CORS headers (`cors`). Errors: 400 with a reason for a bad product id or body, 401 for a bad
 * token (the library), 404 when the shop is unknown.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { authenticate } from "../shopify.server";
import { parseProductGid, productBlockData, productItemIds } from "../models/product-block.server";
import { startBulkAction } from "../jobs/bulk.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session, cors } = await authenticate.admin(request);
  const id = parseProductGid(new URL(request.url).searchParams.get("id"));
  if (!id)
    return cors(
      json({ error: { code: "bad_product_id", message: "Pass ?id=gid://shopify/Product/<id>." } }, { status: 400 }),
    );
  const data = await productBlockData(session.shop, id);
  if (!data)
    return cors(
      json({ error: { code: "unknown_shop", message: "SyncFlow has no record of this shop." } }, { status: 404 }),
    );
  return cors(json(data, { headers: { "Cache-Control": "no-store" } }));
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session, cors } = await authenticate.admin(request);
  let body: { intent?: unknown; id?: unknown };
  try {
    body = (await request.json()) as typeof body;
  } catch {
    return cors(
      json(
        {
          error: { code: "bad_body", message: 'Send a JSON body {"intent":"sync","id":"gid://shopify/Product/<id>"}.' },
        },
        { status: 400 },
      ),
    );
  }
  const id = parseProductGid(body?.id);
  if (body?.intent !== "sync" || !id)
    return cors(
      json({ error: { code: "bad_body", message: 'intent must be "sync" and id a product GID.' } }, { status: 400 }),
    );
  const found = await productItemIds(session.shop, id);
  if (!found)
    return cors(
      json({ error: { code: "unknown_shop", message: "SyncFlow has no record of this shop." } }, { status: 404 }),
    );
  if (!found.itemIds.length)
    return cors(json({ ok: false, message: "SyncFlow has not imported this product yet." }, { status: 200 }));
  const runId = await startBulkAction({
    shopId: found.shopId,
    action: "sync",
    channelIds: [],
    itemIds: found.itemIds,
    actor: `admin block (${session.shop})`,
  });
  return cors(json({ ok: true, runId, items: found.itemIds.length }, { status: 202 }));
};
