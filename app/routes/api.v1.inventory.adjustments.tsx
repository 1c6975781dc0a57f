/** POST /api/v1/inventory/adjustments — adjust a SKU's stock by a delta (merchant API, app/api/handlers.server.ts). */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { adjustInventory, runOperation } from "../api/handlers.server";

export const action = ({ request }: ActionFunctionArgs) =>
  runOperation("adjustInventory", request, (caller) => adjustInventory(caller, request));
export const loader = ({ request }: LoaderFunctionArgs) =>
  runOperation("adjustInventory", request, (caller) => adjustInventory(caller, request));
