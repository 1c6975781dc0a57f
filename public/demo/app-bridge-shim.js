/*
 * SyncFlow demo-only App Bridge stand-in (docs/decisions/050-demo-admin-entry.md).
 *
 * Loaded instead of https://cdn.shopify.com/shopifycloud/app-bridge.js ONLY when the server runs with
 * SYNCFLOW_MODE=demo (app/routes/app.tsx passes it to AppProvider); production pages never reference it,
 * and the token endpoint it calls (/demo/session-token) answers 404 outside demo mode.
 *
 * What it does, the way App Bridge does inside Shopify Admin:
 *  - window.shopify.idToken(): a current session token (from the page's id_token, then from
 *    /demo/session-token, refreshed 10 s before expiry);
 *  - patches window.fetch so same-origin requests carry `Authorization: Bearer <token>` (Remix client
 *    navigation, forms and fetchers authenticate), retrying once on Shopify's
 *    `X-Shopify-Retry-Invalid-Session-Request` 401;
 *  - the bounce page (/auth/session-token?shopify-reload=...) reloads with a fresh id_token;
 *  - <ui-nav-menu> shows its links as a visible navigation bar (Shopify Admin would draw them);
 *    <ui-title-bar> stays hidden (pages have their own title); shopify.toast.show() shows a status toast;
 *    <ui-save-bar> (App Bridge's contextual save bar) shows as a sticky bar with its Save/Discard buttons.
 */
(function () {
  "use strict";
  if (window.shopify && window.shopify.__syncflowDemoShim) return;

  var script = document.currentScript;
  var params = new URLSearchParams(window.location.search);
  var apiKey = (script && script.getAttribute("data-api-key")) || "";
  var TOKEN_URL = "/demo/session-token";
  var origFetch = window.fetch.bind(window);
  var state = { token: null, exp: 0, pending: null };

  function decodeExp(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      while (part.length % 4) part += "=";
      return JSON.parse(atob(part)).exp || 0;
    } catch {
      return 0;
    }
  }

  var initial = params.get("id_token");
  if (initial) {
    state.token = initial;
    state.exp = decodeExp(initial);
  }

  function now() {
    return Math.floor(Date.now() / 1000);
  }

  function refresh() {
    if (!state.pending) {
      state.pending = origFetch(TOKEN_URL, { credentials: "same-origin", cache: "no-store" })
        .then(function (res) {
          if (!res.ok) throw new Error("demo session token endpoint answered " + res.status);
          return res.json();
        })
        .then(function (body) {
          state.token = body.token;
          state.exp = body.exp || decodeExp(body.token);
          return state.token;
        })
        .finally(function () {
          state.pending = null;
        });
    }
    return state.pending;
  }

  /** A session token valid for at least 10 more seconds. */
  function idToken(force) {
    if (!force && state.token && state.exp - 10 > now()) return Promise.resolve(state.token);
    return refresh();
  }

  function sameOrigin(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch {
      return false;
    }
  }

  function withAuth(input, init, token) {
    var req = new Request(input, init);
    if (!req.headers.has("Authorization")) {
      var headers = new Headers(req.headers);
      headers.set("Authorization", "Bearer " + token);
      req = new Request(req, { headers: headers });
    }
    return req;
  }

  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    var path;
    try {
      path = new URL(url, window.location.href).pathname;
    } catch {
      path = "";
    }
    if (!sameOrigin(url) || path === TOKEN_URL) return origFetch(input, init);
    // Keep a replayable copy before the body is consumed.
    var base = new Request(input, init);
    var retryBase = base.clone();
    return idToken(false).then(function (token) {
      return origFetch(withAuth(base, undefined, token)).then(function (res) {
        if (res.status === 401 && res.headers.get("X-Shopify-Retry-Invalid-Session-Request") === "1") {
          return idToken(true).then(function (fresh) {
            return origFetch(withAuth(retryBase, undefined, fresh));
          });
        }
        return res;
      });
    });
  };

  // Bounce page: App Bridge fetches a token and reloads the target with it.
  if (window.location.pathname === "/auth/session-token" && params.get("shopify-reload")) {
    idToken(true).then(function (token) {
      var target = new URL(params.get("shopify-reload"), window.location.href);
      if (target.origin !== window.location.origin) return;
      target.searchParams.set("id_token", token);
      window.location.replace(target.toString());
    });
  }

  function toast(message, opts) {
    var el = document.createElement("div");
    el.setAttribute("role", "status");
    el.textContent = message;
    el.style.cssText =
      "position:fixed;left:50%;bottom:24px;transform:translateX(-50%);z-index:1000;padding:10px 16px;border-radius:8px;" +
      "font:14px/1.4 -apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,sans-serif;color:#fff;background:" +
      (opts && opts.isError ? "#8e1f0b" : "#303030");
    document.body.appendChild(el);
    setTimeout(
      function () {
        el.remove();
      },
      (opts && opts.duration) || 5000,
    );
    return "toast-" + Date.now();
  }

  window.shopify = {
    __syncflowDemoShim: true,
    config: {
      apiKey: apiKey,
      shop: params.get("shop") || undefined,
      host: params.get("host") || undefined,
      locale: "en",
    },
    environment: { embedded: true, mobile: false, pos: false },
    origin: window.location.origin,
    idToken: function () {
      return idToken(false);
    },
    toast: { show: toast, hide: function () {} },
    loading: function () {},
  };

  if (window.customElements && !window.customElements.get("ui-nav-menu")) {
    window.customElements.define(
      "ui-nav-menu",
      class extends HTMLElement {
        connectedCallback() {
          if (this.shadowRoot) return;
          var root = this.attachShadow({ mode: "open" });
          root.innerHTML =
            "<style>" +
            ":host{display:block;background:#1a1a1a;}" +
            "nav{display:flex;gap:4px;align-items:center;padding:8px 16px;font:600 13px/1.4 -apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,sans-serif;}" +
            ".brand{color:#fff;margin-right:16px;letter-spacing:.02em}" +
            ".demo{color:#b5b5b5;font-weight:400;margin-left:auto}" +
            "::slotted(a){color:#e3e3e3;text-decoration:none;padding:6px 10px;border-radius:8px}" +
            "::slotted(a:hover){background:#303030;color:#fff}" +
            "::slotted(a:focus-visible){outline:2px solid #fff;outline-offset:1px}" +
            "::slotted(a[aria-current=page]){background:#fff;color:#1a1a1a}" +
            "</style>" +
            '<nav aria-label="SyncFlow"><span class="brand">SyncFlow</span><slot></slot><span class="demo">Demo admin — not Shopify</span></nav>';
        }
      },
    );
  }
  if (window.customElements && !window.customElements.get("ui-title-bar")) {
    window.customElements.define(
      "ui-title-bar",
      class extends HTMLElement {
        connectedCallback() {
          this.style.display = "none";
        }
      },
    );
  }
  // <ui-save-bar>: App Bridge shows a contextual save bar at the top of Shopify Admin while a form is dirty.
  // The shim shows the element itself (its light-DOM <button>s keep their React click handlers).
  if (window.customElements && !window.customElements.get("ui-save-bar")) {
    window.customElements.define(
      "ui-save-bar",
      class extends HTMLElement {
        connectedCallback() {
          if (!this._shown) this.style.display = "none";
          this.setAttribute("role", "region");
          this.setAttribute("aria-label", "Unsaved changes");
        }
        show() {
          this._shown = true;
          this.style.cssText =
            "display:flex;gap:8px;align-items:center;justify-content:flex-end;position:sticky;top:0;z-index:500;padding:8px 16px;" +
            "background:#1a1a1a;color:#fff;font:600 13px/1.4 -apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,sans-serif;";
          if (!this.querySelector("[data-shim-label]")) {
            var label = document.createElement("span");
            label.setAttribute("data-shim-label", "");
            label.textContent = "Unsaved changes";
            label.style.marginRight = "auto";
            this.insertBefore(label, this.firstChild);
          }
          this.dispatchEvent(new CustomEvent("show"));
          return Promise.resolve();
        }
        hide() {
          this._shown = false;
          this.style.display = "none";
          this.dispatchEvent(new CustomEvent("hide"));
          return Promise.resolve();
        }
        toggle() {
          return this._shown ? this.hide() : this.show();
        }
        get showing() {
          return !!this._shown;
        }
      },
    );
  }
  window.shopify.saveBar = {
    show: function (id) {
      var el = document.getElementById(id);
      return el && el.show ? el.show() : Promise.resolve();
    },
    hide: function (id) {
      var el = document.getElementById(id);
      return el && el.hide ? el.hide() : Promise.resolve();
    },
    toggle: function (id) {
      var el = document.getElementById(id);
      return el && el.toggle ? el.toggle() : Promise.resolve();
    },
    leaveConfirmation: function () {
      return Promise.resolve();
    },
  };
})();
