/**
 * WooCommerce's order status rules for stock (includes/wc-stock-functions.php): entering processing / on-hold /
 * completed reduces the order's stock (`wc_maybe_reduce_stock_levels`, once per order); entering cancelled / pending
 * gives it back (`wc_maybe_increase_stock_levels`); refunded and failed never give stock back by themselves.
 * The adapter states the rule on each normalised order (`SalesOrder.statusEffect`, decision 200) so the engine names
 * no WooCommerce status.
 */
import type { SalesOrder } from "../events";

/** WooCommerce statuses that reduce stock on entry (`wc_maybe_reduce_stock_levels` hooks). */
const REDUCING = new Set(["processing", "on-hold", "completed"]);
/** WooCommerce statuses that give reduced stock back on entry (`wc_maybe_increase_stock_levels` hooks). */
const RESTOCKING = new Set(["cancelled", "pending"]);

/** What entering WooCommerce order status `status` does to the order's stock: "take", "release" or "keep". */
export function wooStatusEffect(status: string): NonNullable<SalesOrder["statusEffect"]> {
  if (REDUCING.has(status)) return "take";
  if (RESTOCKING.has(status)) return "release";
  return "keep";
}
