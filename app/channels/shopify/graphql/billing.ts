/** Billing API reads the app makes itself (the library's billing.check covers the Plan page). */
export const APP_SUBSCRIPTIONS_QUERY = `#graphql
  query SyncFlowAppSubscriptions {
    currentAppInstallation {
      allSubscriptions(first: 25, reverse: true) {
        nodes { id name status test trialDays createdAt currentPeriodEnd }
      }
    }
  }`;
