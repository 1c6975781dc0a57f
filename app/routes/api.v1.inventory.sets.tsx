/** POST /api/v1/inventory/sets — compare-and-set a SKU's stock (merchant API, app/api/handlers.server.ts). */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { runOperation, setInventory } from "../api/handlers.server";

export const action = ({ request }: ActionFunctionArgs) =>
  runOperation("setInventory", request, (caller) => setInventory(caller, request));
export const loader = ({ request }: LoaderFunctionArgs) =>
  runOperation("setInventory", request, (caller) => setInventory(caller, request));
