/** GET /api/v1/ledger — the stock ledger (merchant API, app/api/handlers.server.ts). */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { listLedger, runOperation } from "../api/handlers.server";

export const loader = ({ request }: LoaderFunctionArgs) => runOperation("listLedger", request, listLedger);
export const action = ({ request }: ActionFunctionArgs) => runOperation("listLedger", request, listLedger);
