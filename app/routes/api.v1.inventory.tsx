/** GET /api/v1/inventory — inventory per SKU and channel (merchant API, app/api/handlers.server.ts). */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { listInventory, runOperation } from "../api/handlers.server";

export const loader = ({ request }: LoaderFunctionArgs) => runOperation("listInventory", request, listInventory);
export const action = ({ request }: ActionFunctionArgs) => runOperation("listInventory", request, listInventory);
