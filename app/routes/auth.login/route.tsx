/** Shop-domain login (Shopify template): used outside Shopify Admin to start installing/opening the app. */
import { useState } from "react";
import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { AppProvider as PolarisAppProvider, Button, Card, FormLayout, Page, Text, TextField } from "@shopify/polaris";
import polarisTranslations from "@shopify/polaris/locales/en.json";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import { login } from "../../shopify.server";
import { loginErrorMessage } from "./error.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: polarisStyles }];

/**
 * The library's `login`, with a body it cannot read (a HEAD, a wrong content type, broken multipart: its
 * `request.formData()` throws TypeError) answered as a form error instead of a 500. Redirects pass through.
 */
async function loginErrors(request: Request): Promise<ReturnType<typeof loginErrorMessage> | null> {
  try {
    return loginErrorMessage(await login(request));
  } catch (err) {
    if (err instanceof TypeError) return null;
    throw err;
  }
}

/** Renders the form (or redirects when `shop` is given). */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const errors = (await loginErrors(request)) ?? {};
  return json({ errors, polarisTranslations });
};

/**
 * Starts login for the submitted shop domain. Only a POSTed form is read: another method → 405, a body that is not a
 * form (wrong content type, broken multipart) → 400 with a reason, instead of the library's parse error as a 500.
 */
export const action = async ({ request }: ActionFunctionArgs) => {
  if (request.method !== "POST")
    return json({ errors: { shop: "Use the form to log in." } }, { status: 405, headers: { Allow: "GET, POST" } });
  const type = request.headers.get("content-type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
    return json({ errors: { shop: "Send the shop domain as a form." } }, { status: 415 });
  }
  const errors = await loginErrors(request);
  return errors ? json({ errors }) : json({ errors: { shop: "The form could not be read." } }, { status: 400 });
};

export default function Auth() {
  const loaderData = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [shop, setShop] = useState("");
  const { errors } = actionData || loaderData;

  return (
    <PolarisAppProvider i18n={loaderData.polarisTranslations}>
      <Page narrowWidth>
        <Card>
          <Form method="post">
            <FormLayout>
              <Text variant="headingMd" as="h1">
                Log in to SyncFlow
              </Text>
              <TextField
                type="text"
                name="shop"
                label="Shop domain"
                helpText="example.myshopify.com"
                value={shop}
                onChange={setShop}
                autoComplete="on"
                error={errors.shop}
              />
              <Button submit>Log in</Button>
            </FormLayout>
          </Form>
        </Card>
      </Page>
    </PolarisAppProvider>
  );
}
