/** POST /api/woo/stock-events — signed: the stock changes the store made, with their causes (hub-api-v1 §2). */
import type { ActionFunctionArgs } from "@remix-run/node";
import { acceptStockEvents, apiError, apiJson, parseBody, StockEventsBody, verifySignedCall } from "../sync/plugin-api.server";

export const action = async ({ request }: ActionFunctionArgs) => {
  try {
    const raw = await request.text();
    const channel = await verifySignedCall(request, raw);
    const body = parseBody(StockEventsBody, raw);
    return apiJson(200, { ok: true, ...(await acceptStockEvents(channel, body, { version: body.plugin_version })) });
  } catch (err) {
    return apiError(err);
  }
};
