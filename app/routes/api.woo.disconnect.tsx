/** POST /api/woo/disconnect — signed: the store owner disconnected SyncFlow (hub-api-v1 §2). */
import type { ActionFunctionArgs } from "@remix-run/node";
import {
  apiError,
  apiJson,
  DisconnectBody,
  disconnectStore,
  parseBody,
  readBody,
  verifySignedCall,
} from "../sync/intake/plugin-api.server";
import { BODY_LIMITS } from "../lib/body-limits";

export const action = async ({ request }: ActionFunctionArgs) => {
  try {
    const raw = await readBody(request, BODY_LIMITS.pluginApi);
    const channel = await verifySignedCall(request, raw);
    const body = parseBody(DisconnectBody, raw);
    await disconnectStore(channel.id, body.reason);
    return apiJson(200, { ok: true });
  } catch (err) {
    return apiError(err);
  }
};
