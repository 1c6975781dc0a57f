/**
 * The polaris-viz chart itself (browser only, loaded lazily by AnalyticsCharts.tsx; decision 290). Animation is off
 * (prefers-reduced-motion and a steady screenshot), the light theme matches Polaris.
 */
import { BarChart, LineChart, PolarisVizProvider } from "@shopify/polaris-viz";
import "@shopify/polaris-viz/build/esm/styles.css";
import { formatCount, formatMoney } from "./format";
import type { ChartSpec } from "./AnalyticsCharts";
import { CHART_HEIGHT } from "./AnalyticsCharts";

export default function AnalyticsVizChart({ spec, title }: { spec: ChartSpec; title: string }) {
  const fmt = (v: string | number | null) =>
    v == null
      ? ""
      : spec.format === "money"
        ? formatMoney(Number(v), spec.currency)
        : formatCount(Math.round(Number(v)));
  const common = {
    data: spec.series,
    isAnimated: false,
    theme: "Light",
    skipLinkText: `Skip the ${title} chart`,
    yAxisOptions: { labelFormatter: fmt },
  };
  return (
    <PolarisVizProvider>
      <div style={{ height: CHART_HEIGHT }}>
        {spec.kind === "bar" ? <BarChart {...common} /> : <LineChart {...common} />}
      </div>
    </PolarisVizProvider>
  );
}
