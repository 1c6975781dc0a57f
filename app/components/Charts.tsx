/**
 * Small dependency-free SVG charts styled with Polaris tokens (docs/decisions/052-admin-charts.md).
 * Each chart is an `role="img"` SVG with a text summary, plus the same data as a visually hidden table
 * for screen readers. Rendering is deterministic (no measuring), so SSR and hydration agree and the
 * charts never shift layout (fixed viewBox, width 100%).
 */
import { Text } from "@shopify/polaris";

const COLORS = [
  "var(--p-color-bg-fill-info)",
  "var(--p-color-bg-fill-success)",
  "var(--p-color-bg-fill-warning)",
  "var(--p-color-bg-fill-magic)",
  "var(--p-color-bg-fill-caution)",
];
const STROKES = ["#0094d5", "#29845a", "#b28400", "#8051ff", "#c05717"];

/** One series of a grouped bar chart. */
export interface BarSeries {
  name: string;
  values: number[];
}

const hidden = {
  position: "absolute",
  width: 1,
  height: 1,
  padding: 0,
  margin: -1,
  overflow: "hidden",
  clip: "rect(0, 0, 0, 0)",
  whiteSpace: "nowrap",
  border: 0,
} as const;

function niceMax(n: number): number {
  if (n <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/** Grouped vertical bars: one group per category, one bar per series; legend below. */
export function GroupedBarChart({
  title,
  categories,
  series,
  height = 180,
}: {
  title: string;
  categories: string[];
  series: BarSeries[];
  height?: number;
}) {
  const W = 600;
  const H = height;
  const pad = { l: 36, r: 8, t: 8, b: 24 };
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const groupW = (W - pad.l - pad.r) / Math.max(1, categories.length);
  const barW = Math.min(28, (groupW * 0.7) / Math.max(1, series.length));
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const summary = series
    .map((s) => `${s.name}: ${categories.map((c, i) => `${c} ${s.values[i] ?? 0}`).join(", ")}`)
    .join("; ");
  return (
    <figure style={{ margin: 0 }}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        role="img"
        aria-label={`${title}. ${summary}`}
        style={{ display: "block" }}
      >
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={pad.l} x2={W - pad.r} y1={y(max * f)} y2={y(max * f)} stroke="#e3e3e3" />
            <text x={pad.l - 6} y={y(max * f) + 4} textAnchor="end" fontSize="11" fill="#616161">
              {Math.round(max * f)}
            </text>
          </g>
        ))}
        {categories.map((c, ci) => {
          const gx = pad.l + ci * groupW + (groupW - barW * series.length) / 2;
          return (
            <g key={c}>
              {series.map((s, si) => {
                const v = s.values[ci] ?? 0;
                return (
                  <rect
                    key={s.name}
                    x={gx + si * barW}
                    y={y(v)}
                    width={barW - 2}
                    height={Math.max(0, H - pad.b - y(v))}
                    rx="2"
                    fill={STROKES[si % STROKES.length]}
                  />
                );
              })}
              <text x={pad.l + ci * groupW + groupW / 2} y={H - 6} textAnchor="middle" fontSize="12" fill="#303030">
                {c}
              </text>
            </g>
          );
        })}
      </svg>
      <Legend names={series.map((s) => s.name)} />
      <table style={hidden}>
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Series</th>
            {categories.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {series.map((s) => (
            <tr key={s.name}>
              <th scope="row">{s.name}</th>
              {categories.map((c, i) => (
                <td key={c}>{s.values[i] ?? 0}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

function Legend({ names }: { names: string[] }) {
  return (
    <div style={{ display: "flex", flexWrap: "wrap", gap: "12px", marginTop: 8 }} aria-hidden="true">
      {names.map((n, i) => (
        <span key={n} style={{ display: "inline-flex", alignItems: "center", gap: 6 }}>
          <span
            style={{
              width: 10,
              height: 10,
              borderRadius: 2,
              background: STROKES[i % STROKES.length],
              display: "inline-block",
            }}
          />
          <Text as="span" variant="bodySm">
            {n}
          </Text>
        </span>
      ))}
    </div>
  );
}

/** An area/line chart of one daily series (e.g. revenue), with first/last date labels. */
export function TrendChart({
  title,
  points,
  format = (n) => String(n),
  height = 160,
}: {
  title: string;
  points: { label: string; value: number }[];
  format?: (n: number) => string;
  height?: number;
}) {
  const W = 600;
  const H = height;
  const pad = { l: 52, r: 8, t: 8, b: 22 };
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const n = Math.max(1, points.length - 1);
  const x = (i: number) => pad.l + ((W - pad.l - pad.r) * i) / n;
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const line = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  const area = points.length
    ? `${line} L${x(points.length - 1).toFixed(1)},${H - pad.b} L${x(0).toFixed(1)},${H - pad.b} Z`
    : "";
  const total = points.reduce((s, p) => s + p.value, 0);
  return (
    <figure style={{ margin: 0 }}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        role="img"
        aria-label={`${title}: ${format(total)} over ${points.length} days`}
        style={{ display: "block" }}
      >
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={pad.l} x2={W - pad.r} y1={y(max * f)} y2={y(max * f)} stroke="#e3e3e3" />
            <text x={pad.l - 6} y={y(max * f) + 4} textAnchor="end" fontSize="11" fill="#616161">
              {format(max * f)}
            </text>
          </g>
        ))}
        <path d={area} fill={COLORS[0]} opacity="0.5" />
        <path d={line} fill="none" stroke={STROKES[0]} strokeWidth="2" />
        {points.length > 0 && (
          <>
            <text x={x(0)} y={H - 4} fontSize="11" fill="#616161">
              {points[0]!.label}
            </text>
            <text x={x(points.length - 1)} y={H - 4} fontSize="11" fill="#616161" textAnchor="end">
              {points[points.length - 1]!.label}
            </text>
          </>
        )}
      </svg>
      <table style={hidden}>
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p) => (
            <tr key={p.label}>
              <td>{p.label}</td>
              <td>{format(p.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
