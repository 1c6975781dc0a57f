/** Shopify Flow: start the workflows of one of the app's triggers (flow_trigger extensions in extensions/). */
export const FLOW_TRIGGER_RECEIVE_MUTATION = `#graphql
  mutation SyncFlowTrigger($handle: String!, $payload: JSON!) {
    flowTriggerReceive(handle: $handle, payload: $payload) {
      userErrors { field message }
    }
  }`;
