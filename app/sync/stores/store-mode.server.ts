/**
 * What registration decides about a store beyond its credentials: its safety buffer when the mode is set or
 * changes (decision 133), and the first linking of its catalog, done inside the registration call when it is
 * small enough so the 201 can say how many listings were linked (hub-api-v1 §1; decision 134).
 */
import { linkSalesChannel, queueInitialPushes } from "./link.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import { env } from "../../env.server";

/** The buffer a mode starts with (units): buffered stores guard 2 units against last-writer-wins sets; exact none. */
export const DEFAULT_BUFFER_UNITS = { exact: 0, buffered: 2 } as const;

/**
 * The buffer fields to write when a store is (re)registered in `mode`. A new store gets the mode's default. A store
 * whose mode changes (buffered → exact when the plugin was installed, exact → buffered when it was removed) gets
 * the new mode's default only while its buffer is still the default one; a buffer the merchant set stays as set.
 * @param previous the store's current mode and buffer source, or null for a new store
 */
export function bufferForMode(
  previous: { mode: string; bufferSource: string } | null,
  mode: "exact" | "buffered",
): { bufferUnits?: number; bufferPercent?: number; bufferSource?: string } {
  if (!previous) return { bufferUnits: DEFAULT_BUFFER_UNITS[mode], bufferPercent: 0, bufferSource: "default" };
  if (previous.mode === mode || previous.bufferSource === "merchant") return {};
  return { bufferUnits: DEFAULT_BUFFER_UNITS[mode], bufferPercent: 0 };
}

/** How long registration links the catalog itself before leaving it to the link job (ms; SYNCFLOW_REGISTER_LINK_BUDGET_MS). */
const linkBudgetMs = () => env.SYNCFLOW_REGISTER_LINK_BUDGET_MS;

/**
 * Links a just-registered store's catalog inside the registration call and queues its initial pushes, for at most
 * the link budget (default 20 s: the plugin waits 60 s for the 201, and WooCommerce serves ≈ 90 listings a second,
 * so stores up to ~1,500 listings finish). Past the budget, or when the store cannot be read now, the read is
 * abandoned before anything is written and the durable link job does it instead.
 * @returns the counts, or null when linking was left to the job
 */
export async function linkAtRegistration(
  shopId: string,
  channelId: string,
): Promise<{ linked: number; unmatched: number } | null> {
  const budget = linkBudgetMs();
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new Error(`linking takes longer than ${budget} ms: continued by the link job`)),
    budget,
  );
  try {
    const report = await linkSalesChannel(shopId, channelId, { signal: abort.signal });
    await queueInitialPushes(shopId, channelId);
    return { linked: report.linked, unmatched: report.unmatched.length };
  } catch (err) {
    if (!abort.signal.aborted)
      console.warn(`[registration] linking ${channelId} inline failed, queued instead: ${(err as Error).message}`);
    await enqueue(QUEUES.linkChannel, { shopId, channelId }, { singletonKey: `link:${channelId}` });
    return null;
  } finally {
    clearTimeout(timer);
  }
}
