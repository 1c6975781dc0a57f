/**
 * Client-side CSV download for the embedded admin: fetches the export with the session token (App Bridge
 * adds it to same-origin `fetch`), then saves the streamed body through a blob link. A plain link would
 * navigate the iframe without a token.
 */

/** Fetches `url` and saves it as `fallbackName` (or the server's filename). Throws an Error with a message for a toast. */
export async function downloadFile(url: string, fallbackName: string): Promise<string> {
  const res = await fetch(url, { headers: { Accept: "text/csv" } });
  if (!res.ok)
    throw new Error(
      res.status === 404
        ? "This export is not available yet."
        : `The export failed (${res.status}). Try again; if it keeps failing, check the server logs.`,
    );
  const name = /filename="?([^";]+)"?/.exec(res.headers.get("Content-Disposition") ?? "")?.[1] ?? fallbackName;
  const blob = await res.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return name;
}
