/**
 * Shopify Flow through the shop's Admin GraphQL client: `flowTriggerReceive(handle, payload)` starts every
 * workflow that begins with one of the app's triggers (https://shopify.dev/docs/apps/build/flow/triggers).
 * The payload's keys are the trigger's declared fields (`<resource>_id` for reference fields), at most 50 KB.
 * Throws ChannelError (client.server.ts) on transport failures and BAD_REQUEST on userErrors (a retry would not help).
 */
import { ChannelError } from "../channel.js";
import type { ShopifyChannel } from "./shopify-channel.server.js";
import { FLOW_TRIGGER_RECEIVE_MUTATION } from "./graphql/flow.js";

/** Sends one Flow trigger for the adapter's shop. */
export async function sendFlowTrigger(
  adapter: ShopifyChannel,
  handle: string,
  payload: Record<string, unknown>,
): Promise<void> {
  const r = await adapter.client.request<{
    flowTriggerReceive: { userErrors: { field: string[] | null; message: string }[] };
  }>(FLOW_TRIGGER_RECEIVE_MUTATION, { handle, payload });
  const errs = r.data.flowTriggerReceive?.userErrors ?? [];
  if (errs.length)
    throw new ChannelError(
      "BAD_REQUEST",
      `Flow refused trigger ${handle}: ${errs.map((e) => `${(e.field ?? []).join(".")} ${e.message}`).join("; ")}`,
    );
}
