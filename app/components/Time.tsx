/** A `<time>` element with a deterministic UTC label (identical on server and client). */
import { formatDateTime } from "./format";

/** Renders `value` (ISO string) as e.g. "22 Nov 2026, 09:05 UTC", or `never` when null. */
export function Time({ value, never = "Never" }: { value: string | null | undefined; never?: string }) {
  if (!value) return <>{never}</>;
  return <time dateTime={value}>{formatDateTime(value, never)}</time>;
}
