/**
 * The central shop's retailer Shopify stores (Channels page, issue 14 item 4): each retailer with its settings
 * summary and a link to edit them, and the one-time retailer code the retailer enters in its own SyncFlow app.
 */
import { Link } from "@remix-run/react";
import { Badge, BlockStack, Box, Button, Card, IndexTable, InlineStack, Text, TextField } from "@shopify/polaris";
import { ChannelStatusBadge } from "./StatusBadges";
import { Time } from "./Time";
import { formatDateTime } from "./format";

/** One retailer as the loader serialises it (dates as ISO strings). */
export interface RetailerCardRow {
  linkId: string;
  domain: string;
  name: string;
  status: string;
  channelStatus: string;
  statusReason: string | null;
  syncInventory: boolean;
  importOrders: boolean;
  pushFulfilments: boolean;
  retailerLocationId: string | null;
  feedLocationIds: string[];
  lastSyncAt: string | null;
  linked: number;
  unlinkedItems: number;
}

export function RetailersCard(props: {
  retailers: RetailerCardRow[];
  locationName: (gid: string) => string;
  onCreateCode: () => void;
  creating: boolean;
  code: { code: string; expiresAt: string } | null;
  error: string | null;
}) {
  const { retailers, locationName } = props;
  return (
    <Card padding="0">
      <Box padding="400">
        <BlockStack gap="200">
          <InlineStack align="space-between" blockAlign="center">
            <Text as="h2" variant="headingMd">
              Retailer Shopify stores
            </Text>
            <Button onClick={props.onCreateCode} loading={props.creating}>
              Create retailer code
            </Button>
          </InlineStack>
          <Text as="p" tone="subdued">
            Retailers are Shopify stores that sell this shop's stock. The retailer installs SyncFlow on its own store
            and enters a retailer code from here; SyncFlow then writes this shop's stock to the retailer's chosen
            location and brings its sales back here.
          </Text>
          {props.code && (
            <Box maxWidth="420px">
              <TextField
                label="Retailer code — copy it now, it is shown only once"
                value={props.code.code}
                readOnly
                autoComplete="off"
                monospaced
                selectTextOnFocus
                helpText={`Valid for 15 minutes, until ${formatDateTime(props.code.expiresAt)}, once. The retailer enters it in SyncFlow → Retailer link.`}
              />
            </Box>
          )}
          {props.error && (
            <Text as="p" tone="critical">
              {props.error}
            </Text>
          )}
        </BlockStack>
      </Box>
      <IndexTable
        resourceName={{ singular: "retailer", plural: "retailers" }}
        itemCount={retailers.length}
        selectable={false}
        emptyState={
          <Box padding="400">
            <Text as="p">No retailer linked yet.</Text>
          </Box>
        }
        headings={[
          { title: "Retailer" },
          { title: "Status" },
          { title: "Inventory" },
          { title: "Orders (coming)" },
          { title: "Items" },
          { title: "Last sync" },
          { title: "" },
        ]}
      >
        {retailers.map((r, i) => (
          <IndexTable.Row id={r.linkId} key={r.linkId} position={i}>
            <IndexTable.Cell>
              <BlockStack gap="050">
                <Text as="span" fontWeight="semibold">
                  {r.name}
                </Text>
                <Text as="span" tone="subdued" variant="bodySm">
                  {r.domain}
                </Text>
              </BlockStack>
            </IndexTable.Cell>
            <IndexTable.Cell>
              {r.status === "linked" ? (
                <ChannelStatusBadge status={r.channelStatus} reason={r.statusReason} />
              ) : (
                <Badge>Unlinked</Badge>
              )}
            </IndexTable.Cell>
            <IndexTable.Cell>
              {r.syncInventory ? (
                <Text as="span" variant="bodySm">
                  {r.feedLocationIds.length ? r.feedLocationIds.map(locationName).join(", ") : "Sales location"} →{" "}
                  {r.retailerLocationId
                    ? `retailer location ${r.retailerLocationId.split("/").pop()}`
                    : "no location yet"}
                </Text>
              ) : (
                <Badge tone="attention">Sync off</Badge>
              )}
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" variant="bodySm">
                Import {r.importOrders ? "on" : "off"} · Fulfilments {r.pushFulfilments ? "on" : "off"}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" variant="bodySm">
                {r.linked} linked{r.unlinkedItems ? ` · ${r.unlinkedItems} not linked` : ""}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Time value={r.lastSyncAt} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Link to={`/app/retailers/${r.linkId}`}>Settings</Link>
            </IndexTable.Cell>
          </IndexTable.Row>
        ))}
      </IndexTable>
    </Card>
  );
}
