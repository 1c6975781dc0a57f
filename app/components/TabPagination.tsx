/**
 * Pagination under a tabbed list page (conflicts, store listings): previous/next keep the current tab's
 * `view` search param (omitted for the default tab) and set `page`; shows "Page p of n · total <noun>".
 * Renders nothing when there is one page.
 */
import { useSearchParams } from "@remix-run/react";
import { InlineStack, Pagination } from "@shopify/polaris";

export function TabPagination({
  page,
  pageCount,
  total,
  noun,
  view,
  defaultView,
}: {
  page: number;
  pageCount: number;
  total: number;
  noun: string;
  view: string;
  defaultView: string;
}) {
  const [, setSearchParams] = useSearchParams();
  if (pageCount <= 1) return null;
  const go = (p: number) => setSearchParams({ ...(view !== defaultView ? { view } : {}), page: String(p) });
  return (
    <InlineStack align="center">
      <Pagination
        hasPrevious={page > 1}
        onPrevious={() => go(page - 1)}
        hasNext={page < pageCount}
        onNext={() => go(page + 1)}
        label={`Page ${page} of ${pageCount} · ${total} ${noun}`}
      />
    </InlineStack>
  );
}
