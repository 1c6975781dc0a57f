/**
 * Errors of the merchant API (docs/decisions/280): every failure is `{ error: { code, message, details? } }` with the
 * HTTP status that names it — 400 invalid request (zod issues in `details`), 401 missing/unknown/revoked key, 403 scope
 * or plan, 404 unknown resource, 409 compare-and-set mismatch / request in progress, 422 idempotency key reused with
 * another request, 429 rate limited (Retry-After). Pure: no I/O.
 */

/** A failure the API answers with `status`; `headers` go on the response (Retry-After, WWW-Authenticate). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** JSON response with the API's headers (no caching: every answer is about live stock). */
export function apiJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
}

/** The response of an ApiError. */
export function errorResponse(err: ApiError): Response {
  const error: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.details !== undefined) error.details = err.details;
  return apiJson({ error }, err.status, err.headers);
}
