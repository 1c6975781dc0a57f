/** GET /api/v1/openapi.json — the merchant API's OpenAPI 3.1 document, generated from its zod schemas (app/api/openapi.ts). */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { openApiDocument } from "../api/openapi";
import { apiJson } from "../api/errors";

export const loader = ({ request }: LoaderFunctionArgs) =>
  apiJson(openApiDocument(`${new URL(request.url).origin}/api/v1`), 200, { "Access-Control-Allow-Origin": "*" });
