/** GET /api/v1/orders — orders from every channel (merchant API, app/api/handlers.server.ts). */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { listOrders, runOperation } from "../api/handlers.server";

export const loader = ({ request }: LoaderFunctionArgs) => runOperation("listOrders", request, listOrders);
export const action = ({ request }: ActionFunctionArgs) => runOperation("listOrders", request, listOrders);
