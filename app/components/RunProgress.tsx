/** Progress of a background run (bulk action, reconciliation): polls `/app/runs/:id` until it finishes. */
import { useEffect, useRef } from "react";
import { useFetcher } from "@remix-run/react";
import { Banner, BlockStack, InlineStack, ProgressBar, Text } from "@shopify/polaris";
import { runKindLabel } from "./StatusBadges";
import { formatCount, formatDuration } from "./format";

/** The fields of a run the progress bar needs (app/models/runs.server.ts RunView). */
export interface RunProgressView {
  id: string;
  kind: string;
  dryRun: boolean;
  status: string;
  total: number;
  processed: number;
  changed: number;
  error: string | null;
  durationMs: number | null;
}

/**
 * Polls the run every `intervalMs` while it is running and renders a labelled progress bar; calls
 * `onDone` once with the finished run.
 */
export function RunProgress({
  runId,
  onDone,
  onDismiss,
  intervalMs = 600,
}: {
  runId: string;
  onDone?: (run: RunProgressView) => void;
  onDismiss?: () => void;
  intervalMs?: number;
}) {
  const fetcher = useFetcher<{ run: RunProgressView }>();
  const doneFor = useRef<string | null>(null);
  const run = fetcher.data?.run?.id === runId ? fetcher.data.run : null;
  const running = !run || run.status === "running";

  useEffect(() => {
    fetcher.load(`/app/runs/${runId}`);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runId]);
  useEffect(() => {
    if (!running || fetcher.state !== "idle") return;
    const t = setTimeout(() => fetcher.load(`/app/runs/${runId}`), intervalMs);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [running, fetcher.state, fetcher.data, runId]);
  useEffect(() => {
    if (run && run.status !== "running" && doneFor.current !== run.id) {
      doneFor.current = run.id;
      onDone?.(run);
    }
  }, [run, onDone]);

  const pct =
    run && run.total > 0 ? Math.round((100 * run.processed) / run.total) : run && run.status !== "running" ? 100 : 0;
  const label = run ? runKindLabel(run.kind, run.dryRun) : "Background job";
  const tone = run?.status === "failed" ? "critical" : run?.status === "succeeded" ? "success" : "info";
  return (
    <Banner
      tone={tone}
      title={running ? `${label}: working…` : run?.status === "failed" ? `${label} failed` : `${label} finished`}
      onDismiss={running ? undefined : onDismiss}
    >
      <BlockStack gap="200">
        <div data-run-id={runId} data-run-status={run?.status ?? "queued"}>
          <ProgressBar
            progress={pct}
            size="small"
            tone={run?.status === "failed" ? "critical" : "primary"}
            ariaLabelledBy={`run-${runId}-label`}
          />
        </div>
        <InlineStack align="space-between">
          <Text as="p" id={`run-${runId}-label`}>
            {run ? `${formatCount(run.processed)} of ${formatCount(run.total)} SKUs processed (${pct}%)` : "Queued…"}
          </Text>
          {run && run.status !== "running" && (
            <Text as="p" tone="subdued">
              {formatCount(run.changed)} changed · {formatDuration(run.durationMs)}
            </Text>
          )}
        </InlineStack>
        {run?.error && (
          <Text as="p" tone="critical">
            {run.error}
          </Text>
        )}
      </BlockStack>
    </Banner>
  );
}
