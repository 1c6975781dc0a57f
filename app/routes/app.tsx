/**
 * Embedded admin layout (Shopify template spot): App Bridge + Polaris through `AppProvider`, the admin
 * navigation (`NavMenu`), Shopify's auth-aware `ErrorBoundary`/`headers`, and a page skeleton while the
 * next page's loader runs. In demo mode only (`SYNCFLOW_MODE=demo`), App Bridge's CDN script is replaced by
 * the local shim `public/demo/app-bridge-shim.js` (docs/decisions/050-demo-admin-entry.md).
 */
import type { HeadersFunction, LinksFunction, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { NavLink, Outlet, useLoaderData, useLocation, useNavigation, useRouteError } from "@remix-run/react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { AppProvider } from "@shopify/shopify-app-remix/react";
import { NavMenu } from "@shopify/app-bridge-react";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import { requireShop } from "../models/shop.server";
import { isDemoMode } from "../models/demo-session.server";
import { PageSkeleton } from "../components/PageStates";
import { env } from "../env.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: polarisStyles }];

/** Authenticates the admin request; returns the API key and whether the demo App Bridge shim is used. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  await requireShop(request);
  return json({ apiKey: env.SHOPIFY_API_KEY || "", demo: isDemoMode() });
};

const TITLES: Record<string, string> = {
  "/app": "Dashboard",
  "/app/inventory": "Inventory",
  "/app/orders": "Orders",
  "/app/analytics": "Analytics",
  "/app/conflicts": "Conflicts",
  "/app/activity": "Activity",
  "/app/dead-letters": "Dead letters",
  "/app/channels": "Channels",
  "/app/settings": "Settings",
  "/app/notifications": "Notifications",
  "/app/plan": "Plan",
  "/app/retailer": "Retailer link",
  "/app/reorder": "Reorder",
  "/app/reports": "Scheduled reports",
};

/** Title of the page being loaded (detail pages fall back to their section). */
function skeletonTitle(pathname: string): string | undefined {
  const p = pathname.replace(/\/$/, "");
  if (TITLES[p]) return TITLES[p];
  if (p.startsWith("/app/items/")) return "Item";
  if (p.startsWith("/app/orders/")) return "Order";
  if (p.startsWith("/app/retailers/")) return "Retailer";
  return undefined;
}

export default function App() {
  const { apiKey, demo } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const location = useLocation();
  const switchingPage = navigation.state === "loading" && navigation.location.pathname !== location.pathname;
  return (
    <AppProvider isEmbeddedApp apiKey={apiKey} {...(demo ? { __APP_BRIDGE_URL: "/demo/app-bridge-shim.js" } : {})}>
      <NavMenu>
        <NavLink to="/app" rel="home" end>
          Dashboard
        </NavLink>
        <NavLink to="/app/inventory">Inventory</NavLink>
        <NavLink to="/app/orders">Orders</NavLink>
        <NavLink to="/app/analytics">Analytics</NavLink>
        <NavLink to="/app/reorder">Reorder</NavLink>
        <NavLink to="/app/conflicts">Conflicts</NavLink>
        <NavLink to="/app/activity">Activity</NavLink>
        <NavLink to="/app/dead-letters">Dead letters</NavLink>
        <NavLink to="/app/channels">Channels</NavLink>
        <NavLink to="/app/settings">Settings</NavLink>
        <NavLink to="/app/api-keys">API</NavLink>
        <NavLink to="/app/notifications">Notifications</NavLink>
        <NavLink to="/app/plan">Plan</NavLink>
        <NavLink to="/app/retailer">Retailer link</NavLink>
      </NavMenu>
      <main>{switchingPage ? <PageSkeleton title={skeletonTitle(navigation.location.pathname)} /> : <Outlet />}</main>
    </AppProvider>
  );
}

// Shopify needs Remix to catch some thrown responses, so that their headers are included in the response.
export function ErrorBoundary() {
  return boundary.error(useRouteError());
}

export const headers: HeadersFunction = (headersArgs) => {
  return boundary.headers(headersArgs);
};
