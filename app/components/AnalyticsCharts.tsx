/**
 * Analytics charts (decision 290): `@shopify/polaris-viz` 16.16.0 (Shopify's chart library in the Polaris look; peers
 * react/react-dom ^16.14 || ^17 || ^18 fit the repo's React 18.3.1; it does not depend on @shopify/polaris, so Polaris
 * 13.9.5 is untouched). The library measures its container, so charts render in the browser only: the server and the
 * first client render show a fixed-height box (no layout shift), and the library's code is loaded lazily after
 * hydration so it never delays the page's largest paint. Every chart sits beside a table view of the same data
 * (`ChartWithTable`); the chart box is `role="img"` labelled with a text summary of its data, and the drawing inside is
 * inert and hidden from assistive technology (the summary and the table view carry the data).
 */
import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";
import { BlockStack, Box, ButtonGroup, Button, InlineStack, Text } from "@shopify/polaris";

/** One series: a name and its points (key = x label, value = y). */
export interface ChartSeries {
  name: string;
  data: { key: string; value: number | null }[];
}

export interface ChartSpec {
  kind: "bar" | "line";
  series: ChartSeries[];
  /** Formats y values for axis labels and tooltips (e.g. money in one currency). */
  format?: "money" | "count";
  currency?: string;
}

const VizChart = lazy(() => import("./AnalyticsVizChart.client"));

/** Height of every chart (px): the box is reserved before the chart loads. */
export const CHART_HEIGHT = 260;

function useHydrated(): boolean {
  const [h, setH] = useState(false);
  useEffect(() => setH(true), []);
  return h;
}

/**
 * A chart and its table view (toggle, chart first). `summary` is the chart's text alternative; `table` the same data
 * as an accessible table (a Polaris DataTable), always reachable by the "Table" button.
 */
export function ChartWithTable({
  title,
  summary,
  chart,
  table,
  id,
}: {
  title: string;
  summary: string;
  chart: ChartSpec;
  table: ReactNode;
  id: string;
}) {
  const [view, setView] = useState<"chart" | "table">("chart");
  const hydrated = useHydrated();
  const empty = chart.series.every((s) => s.data.every((d) => !d.value));
  return (
    <BlockStack gap="200">
      <InlineStack align="space-between" blockAlign="center">
        <Text as="h3" variant="headingSm">
          {title}
        </Text>
        <ButtonGroup variant="segmented">
          <Button
            pressed={view === "chart"}
            onClick={() => setView("chart")}
            accessibilityLabel={`${title}: chart view`}
          >
            Chart
          </Button>
          <Button
            pressed={view === "table"}
            onClick={() => setView("table")}
            accessibilityLabel={`${title}: table view`}
          >
            Table
          </Button>
        </ButtonGroup>
      </InlineStack>
      {view === "table" ? (
        <div id={`${id}-table`}>{table}</div>
      ) : (
        <div role="img" aria-label={`${title}. ${summary}`} style={{ height: CHART_HEIGHT, position: "relative" }}>
          {empty ? (
            <Box padding="400">
              <Text as="p" tone="subdued">
                No data in this period.
              </Text>
            </Box>
          ) : hydrated ? (
            // The drawing itself is decorative for assistive technology (`inert` + aria-hidden): its text alternative is
            // this box's label and the table view; the library's own SVG roles and focusable points are not exposed.
            <div ref={(el) => el?.setAttribute("inert", "")} aria-hidden="true">
              <Suspense fallback={null}>
                <VizChart spec={chart} title={title} />
              </Suspense>
            </div>
          ) : null}
        </div>
      )}
    </BlockStack>
  );
}
