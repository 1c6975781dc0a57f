/**
 * JSON resource route: one sync run's progress (`GET /app/runs/:runId`), polled by the bulk-action and
 * reconciliation progress bars. Only the session shop's runs; 404 otherwise.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { requireShop } from "../models/shop.server";
import { getRun } from "../models/runs.server";

/** The run, or 404 with a message. Never cached. */
export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const run = await getRun(shop.id, params.runId ?? "");
  if (!run) throw json({ message: "This run does not exist for your shop." }, { status: 404 });
  return json({ run }, { headers: { "Cache-Control": "no-store" } });
};
