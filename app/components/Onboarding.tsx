/** First-install checklist shown on the dashboard until every step is done. */
import { BlockStack, Box, Button, Card, InlineStack, ProgressBar, Text } from "@shopify/polaris";

/** A checklist step (from app/models/dashboard.server.ts). */
export interface OnboardingStepView {
  id: string;
  title: string;
  detail: string;
  done: boolean;
  url: string;
  action: string;
}

/** The checklist card: progress, each step with a done mark, and a button to the next open step. */
export function Onboarding({ steps }: { steps: OnboardingStepView[] }) {
  const done = steps.filter((s) => s.done).length;
  const next = steps.find((s) => !s.done);
  return (
    <Card>
      <BlockStack gap="300">
        <InlineStack align="space-between" blockAlign="center">
          <Text as="h2" variant="headingMd">
            Set up SyncFlow
          </Text>
          <Text as="p" tone="subdued">
            {done} of {steps.length} done
          </Text>
        </InlineStack>
        <ProgressBar
          progress={(100 * done) / steps.length}
          size="small"
          tone="success"
          ariaLabelledBy="onboarding-progress"
        />
        <span id="onboarding-progress" hidden>
          Setup progress
        </span>
        <ol aria-label="Setup steps" style={{ listStyle: "none", margin: 0, padding: 0 }}>
          {steps.map((s) => (
            <li key={s.id} data-step={s.id} data-done={s.done ? "true" : "false"}>
              <Box paddingBlock="200" borderBlockStartWidth="025" borderColor="border">
                <InlineStack align="space-between" blockAlign="center" gap="300" wrap={false}>
                  <InlineStack gap="300" blockAlign="start" wrap={false}>
                    <span
                      aria-hidden="true"
                      style={{ fontSize: 18, lineHeight: "20px", color: s.done ? "#29845a" : "#8a8a8a" }}
                    >
                      {s.done ? "✔" : "○"}
                    </span>
                    <BlockStack gap="050">
                      <Text as="h3" variant="headingSm" tone={s.done ? "subdued" : undefined}>
                        {s.title}
                        <span
                          style={{
                            position: "absolute",
                            width: 1,
                            height: 1,
                            overflow: "hidden",
                            clip: "rect(0,0,0,0)",
                          }}
                        >
                          {s.done ? " (done)" : " (to do)"}
                        </span>
                      </Text>
                      <Text as="p" variant="bodySm" tone="subdued">
                        {s.detail}
                      </Text>
                    </BlockStack>
                  </InlineStack>
                  {!s.done && (
                    <Button
                      url={s.url}
                      variant={s === next ? "primary" : undefined}
                      accessibilityLabel={`${s.action}: ${s.title}`}
                    >
                      {s.action}
                    </Button>
                  )}
                </InlineStack>
              </Box>
            </li>
          ))}
        </ol>
      </BlockStack>
    </Card>
  );
}
