import { Links, Meta, Outlet, Scripts, ScrollRestoration } from "@remix-run/react";

/** Document shell. The App Bridge script tag is added by AppProvider in app/routes/app.tsx. */
export default function App() {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <link rel="preconnect" href="https://cdn.shopify.com/" />
        <Meta />
        <Links />
      </head>
      <body>
        <Outlet />
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}
