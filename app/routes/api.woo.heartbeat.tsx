/** POST /api/woo/heartbeat — signed liveness + webhook health from the plugin (hub-api-v1 §2). */
import type { ActionFunctionArgs } from "@remix-run/node";
import {
  apiError,
  apiJson,
  HeartbeatBody,
  parseBody,
  readBody,
  recordHeartbeat,
  verifySignedCall,
} from "../sync/intake/plugin-api.server";
import { BODY_LIMITS } from "../lib/body-limits";

export const action = async ({ request }: ActionFunctionArgs) => {
  try {
    const raw = await readBody(request, BODY_LIMITS.pluginApi);
    const channel = await verifySignedCall(request, raw);
    const body = parseBody(HeartbeatBody, raw);
    return apiJson(200, { ok: true, ...(await recordHeartbeat(channel.id, body)) });
  } catch (err) {
    return apiError(err);
  }
};
