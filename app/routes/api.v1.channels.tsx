/** GET /api/v1/channels — channels and their health (merchant API, app/api/handlers.server.ts). */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { listChannels, runOperation } from "../api/handlers.server";

export const loader = ({ request }: LoaderFunctionArgs) => runOperation("listChannels", request, listChannels);
export const action = ({ request }: ActionFunctionArgs) => runOperation("listChannels", request, listChannels);
