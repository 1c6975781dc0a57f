/**
 * The orders hub settings of one sales channel as form fields (issue 15; decision 243): import on/off, from statuses,
 * order look-back, tags, note, billing address (the customer's or a fixed one), Shopify e-mails to the customer,
 * fulfilment pushback on/off, fulfilment look-back, the source store telling its customer. Used by Settings → Orders
 * hub (every sales channel) and a retailer's page. Validation happens on the server (order-settings.server.ts, zod);
 * `errors` are its field errors keyed by path.
 */
import { BlockStack, Checkbox, ChoiceList, FormLayout, InlineGrid, Text, TextField } from "@shopify/polaris";
import type { OrderSettingsView } from "../models/order-settings.server";

const ADDRESS_FIELDS = [
  ["firstName", "First name"],
  ["lastName", "Last name"],
  ["company", "Company"],
  ["address1", "Address"],
  ["address2", "Apartment, suite, etc."],
  ["city", "City"],
  ["provinceCode", "Province / state code"],
  ["zip", "Postcode / ZIP"],
  ["countryCode", "Country code (e.g. GB)"],
  ["phone", "Phone"],
] as const;
type AddressKey = (typeof ADDRESS_FIELDS)[number][0];

/** What the fields edit (numbers as typed, so a wrong entry reaches the server's validation and its message). */
export interface OrderSettingsState {
  importOrders: boolean;
  fromStatuses: string[];
  orderLookbackHours: string;
  tags: string;
  note: string;
  billing: "customer" | "fixed";
  billingAddress: Record<AddressKey, string>;
  notifyCustomer: boolean;
  pushFulfilments: boolean;
  fulfilmentLookbackHours: string;
  notifySourceCustomer: boolean;
}

/** The form state of a saved view. */
export function orderSettingsState(v: OrderSettingsView): OrderSettingsState {
  const a = (v.billingAddress ?? {}) as Partial<Record<AddressKey, string | null>>;
  return {
    importOrders: v.importOrders,
    fromStatuses: v.fromStatuses,
    orderLookbackHours: String(v.orderLookbackHours),
    tags: v.tags.join(", "),
    note: v.note ?? "",
    billing: v.billing,
    billingAddress: Object.fromEntries(ADDRESS_FIELDS.map(([k]) => [k, a[k] ?? ""])) as Record<AddressKey, string>,
    notifyCustomer: v.notifyCustomer,
    pushFulfilments: v.pushFulfilments,
    fulfilmentLookbackHours: String(v.fulfilmentLookbackHours),
    notifySourceCustomer: v.notifySourceCustomer,
  };
}

/** The payload the server validates (order-settings.server.ts `orderSettingsSchema`). */
export function orderSettingsPayload(channelId: string, s: OrderSettingsState) {
  const num = (v: string) => (v.trim() === "" ? Number.NaN : Number(v));
  return {
    channelId,
    importOrders: s.importOrders,
    fromStatuses: s.fromStatuses,
    orderLookbackHours: num(s.orderLookbackHours),
    tags: s.tags
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean),
    note: s.note,
    billing: s.billing,
    billingAddress: s.billing === "fixed" ? s.billingAddress : null,
    notifyCustomer: s.notifyCustomer,
    pushFulfilments: s.pushFulfilments,
    fulfilmentLookbackHours: num(s.fulfilmentLookbackHours),
    notifySourceCustomer: s.notifySourceCustomer,
  };
}

/** The fields; `idPrefix` keeps element ids unique when several channels' forms share a page. */
export function OrderSettingsFields({
  value: s,
  onChange,
  errors = {},
  statusChoices,
  storeLabel,
  idPrefix,
}: {
  value: OrderSettingsState;
  onChange: (next: OrderSettingsState) => void;
  errors?: Record<string, string>;
  statusChoices: { value: string; label: string }[];
  /** "WooCommerce store" / "retailer": how the help texts name the source. */
  storeLabel: string;
  idPrefix: string;
}) {
  const set =
    <K extends keyof OrderSettingsState>(k: K) =>
    (v: OrderSettingsState[K]) =>
      onChange({ ...s, [k]: v });
  const tagError = Object.entries(errors).find(([k]) => k.startsWith("tags"))?.[1];
  return (
    <FormLayout>
      <Text as="h3" variant="headingSm">
        Import orders into this Shopify store
      </Text>
      <Checkbox
        id={`${idPrefix}-importOrders`}
        label={`Import this ${storeLabel}'s orders`}
        helpText="Each order that took stock becomes one order here, ready to fulfil. Stock is not moved a second time."
        checked={s.importOrders}
        onChange={set("importOrders")}
      />
      <ChoiceList
        allowMultiple
        title="Import orders in these statuses (none ticked = every order that took stock)"
        choices={statusChoices}
        selected={s.fromStatuses}
        onChange={set("fromStatuses")}
        error={errors.fromStatuses}
      />
      <FormLayout.Group>
        <LookbackHoursField
          id={`${idPrefix}-orderLookbackHours`}
          label="Order look-back (hours)"
          helpText="Orders placed longer ago are not imported (also the window of catch-up and first connection)."
          value={s.orderLookbackHours}
          onChange={set("orderLookbackHours")}
          error={errors.orderLookbackHours}
        />
        <TextField
          id={`${idPrefix}-tags`}
          label="Tags on imported orders (comma-separated)"
          helpText="Added to “syncflow” and the store's name."
          value={s.tags}
          onChange={set("tags")}
          error={tagError}
          autoComplete="off"
        />
      </FormLayout.Group>
      <TextField
        id={`${idPrefix}-note`}
        label="Note on imported orders"
        helpText="Shown after the source order number in the order's note."
        value={s.note}
        onChange={set("note")}
        error={errors.note}
        multiline={2}
        autoComplete="off"
      />
      <ChoiceList
        title="Billing address on imported orders"
        choices={[
          { label: "The customer's billing address", value: "customer" },
          { label: "A fixed address (e.g. the retailer's own)", value: "fixed" },
        ]}
        selected={[s.billing]}
        onChange={(v) => set("billing")((v[0] as "customer" | "fixed") ?? "customer")}
        error={errors.billing}
      />
      {s.billing === "fixed" && (
        <BlockStack gap="200">
          {errors.billingAddress && (
            <Text as="p" tone="critical">
              {errors.billingAddress}
            </Text>
          )}
          <InlineGrid columns={{ xs: 1, sm: 2 }} gap="300">
            {ADDRESS_FIELDS.map(([k, label]) => (
              <TextField
                key={k}
                id={`${idPrefix}-billing-${k}`}
                label={label}
                value={s.billingAddress[k]}
                onChange={(v) => set("billingAddress")({ ...s.billingAddress, [k]: v })}
                error={errors[`billingAddress.${k}`]}
                autoComplete="off"
              />
            ))}
          </InlineGrid>
        </BlockStack>
      )}
      <Checkbox
        id={`${idPrefix}-notifyCustomer`}
        label="Let Shopify e-mail the customer the order and shipping confirmations"
        helpText={`Off by default: the ${storeLabel} already e-mailed them.`}
        checked={s.notifyCustomer}
        onChange={set("notifyCustomer")}
      />
      <Text as="h3" variant="headingSm">
        Push fulfilments back
      </Text>
      <Checkbox
        id={`${idPrefix}-pushFulfilments`}
        label={`Send each shipment's tracking back to the ${storeLabel}`}
        checked={s.pushFulfilments}
        onChange={set("pushFulfilments")}
      />
      <LookbackHoursField
        id={`${idPrefix}-fulfilmentLookbackHours`}
        label="Fulfilment look-back (hours)"
        helpText="Shipments older than this are not pushed back by catch-up."
        value={s.fulfilmentLookbackHours}
        onChange={set("fulfilmentLookbackHours")}
        error={errors.fulfilmentLookbackHours}
      />
      <Checkbox
        id={`${idPrefix}-notifySourceCustomer`}
        label={`The ${storeLabel} tells its customer about each shipment`}
        helpText="WooCommerce: the tracking goes in a customer note (WooCommerce e-mails it). Retailer: Shopify's shipping confirmation."
        checked={s.notifySourceCustomer}
        onChange={set("notifySourceCustomer")}
      />
    </FormLayout>
  );
}

/** A look-back window in whole hours, 1–720 (30 days), the range the settings' schema accepts. */
function LookbackHoursField(props: {
  id: string;
  label: string;
  helpText: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
}) {
  return <TextField {...props} type="number" min={1} max={720} autoComplete="off" />;
}
