/** GET /api/v1/docs — the merchant API's reference page, rendered on the server from its OpenAPI document. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { renderDocs } from "../api/docs.server";

export const loader = ({ request }: LoaderFunctionArgs) =>
  new Response(renderDocs(`${new URL(request.url).origin}/api/v1`), {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    },
  });
