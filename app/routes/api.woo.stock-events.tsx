/** POST /api/woo/stock-events — signed: the stock changes the store made, with their causes (hub-api-v1 §2). */
import type { ActionFunctionArgs } from "@remix-run/node";
import {
  acceptStockEvents,
  apiError,
  apiJson,
  parseBody,
  readBody,
  StockEventsBody,
  verifySignedCall,
} from "../sync/intake/plugin-api.server";
import { BODY_LIMITS } from "../lib/body-limits";

export const action = async ({ request }: ActionFunctionArgs) => {
  try {
    const raw = await readBody(request, BODY_LIMITS.pluginBatch);
    const channel = await verifySignedCall(request, raw);
    const body = parseBody(StockEventsBody, raw);
    return apiJson(200, { ok: true, ...(await acceptStockEvents(channel, body, { version: body.plugin_version })) });
  } catch (err) {
    return apiError(err);
  }
};
