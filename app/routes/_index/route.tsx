/** Landing page (Shopify template): redirects to /app when opened from Shopify Admin, else a shop-domain login form. */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { login } from "../../shopify.server";
import styles from "./styles.module.css";

export const meta: MetaFunction = () => [{ title: "SyncFlow — exact stock between Shopify and WooCommerce" }];

/** `?shop=` (Shopify Admin) → /app with the same params; otherwise the landing page. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const url = new URL(request.url);
  if (url.searchParams.get("shop")) {
    throw redirect(`/app?${url.searchParams.toString()}`);
  }
  return json({ showForm: Boolean(login) });
};

export default function Index() {
  const { showForm } = useLoaderData<typeof loader>();
  return (
    <main className={styles.index}>
      <div className={styles.content}>
        <h1 className={styles.heading}>SyncFlow keeps your stock exact everywhere you sell</h1>
        <p className={styles.text}>
          One stock count for your Shopify store and your WooCommerce stores, so no store sells what you do not have.
        </p>
        {showForm && (
          <Form className={styles.form} method="post" action="/auth/login">
            <label className={styles.label}>
              <span>Shop domain</span>
              <input className={styles.input} type="text" name="shop" placeholder="my-shop.myshopify.com" />
              <span>e.g: my-shop-domain.myshopify.com</span>
            </label>
            <button className={styles.button} type="submit">
              Log in
            </button>
          </Form>
        )}
        <ul className={styles.list}>
          <li>
            <strong>Exact, not eventually right</strong>. Every sale in any store is taken from Shopify's stock once,
            and every store is written back with compare-and-set.
          </li>
          <li>
            <strong>A ledger you can audit</strong>. Every quantity change is recorded with its cause and before →
            after.
          </li>
          <li>
            <strong>Visible health</strong>. Each store shows whether it is in sync and what to do when it is not.
          </li>
        </ul>
      </div>
    </main>
  );
}
