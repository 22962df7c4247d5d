// <cart-cross-sell cart-id="c-123" endpoint="https://xsell.example.com" session-id="s-1" visitor-id="v-1">
// CartCrossSell's cart-page module: at most three add-ons (title, full price, preselected variant, reason), one
// "Add" button each (one click, no navigation). Renders nothing for a holdout value or an empty list, and takes no
// space then (no placeholder that collapses). Reports each value version it showed once to /v1/impressions. After an
// add it waits for the value that answers the new cart and shows that. No dependencies; served by `cartxsell serve`.
// data-version: the version of the value held (rendered or empty). Events (bubbling): cart-cross-sell:added {sku, variantId, valueVersion}, cart-cross-sell:rendered {version, skus}.
(() => {
  const MAX = 3;
  const css = `:host{display:block;contain:content}:host([data-empty]){display:none}
section{border:1px solid #d5d9e0;border-radius:8px;padding:12px 14px;font:inherit}
h2{font-size:1rem;margin:0 0 8px}ul{list-style:none;margin:0;padding:0;display:grid;gap:10px}
li{display:grid;grid-template-columns:1fr auto;gap:2px 12px;align-items:center}
.t{font-weight:600}.p{font-variant-numeric:tabular-nums}.v,.r{grid-column:1;font-size:.85em;color:#555}
button{grid-column:2;grid-row:1/span 3;font:inherit;padding:6px 14px;border-radius:6px;border:1px solid #2c6fbb;background:#2c6fbb;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #f5a623;outline-offset:2px}button[disabled]{opacity:.6;cursor:progress}
.s{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}`;

  class CartCrossSell extends HTMLElement {
    static get observedAttributes() { return ['cart-id', 'endpoint']; }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: 'open' });
      this._style = document.createElement('style');
      this._style.textContent = css; // kept while empty: :host([data-empty]) then takes no space at all
      this._root.append(this._style);
      this._etag = null;
      this._value = null;
      this._seq = 0;
    }

    connectedCallback() { this.toggleAttribute('data-empty', !this._shown()); this.refresh(); }

    attributeChangedCallback(name, before, after) {
      if (before === after || !this.isConnected) return;
      this._etag = null;
      this._value = null;
      this._render();
      this.refresh();
    }

    get _base() { return (this.getAttribute('endpoint') || '').replace(/\/+$/, ''); }
    get _cart() { return this.getAttribute('cart-id') || ''; }
    _shown() { return !!(this._value && this._value.cohort !== 'holdout' && (this._value.addOns || []).length); }

    // Reads the cart's value; with minVersion, polls until the value answers that cart event (or ~6 s pass).
    async refresh(minVersion) {
      const cart = this._cart;
      if (!cart) return;
      const seq = ++this._seq;
      for (let attempt = 0; attempt < 25; attempt++) {
        if (seq !== this._seq) return; // a newer refresh took over
        try {
          const headers = { Accept: 'application/json' };
          if (this._etag) headers['If-None-Match'] = this._etag;
          const res = await fetch(`${this._base}/v1/carts/${encodeURIComponent(cart)}/add-ons`, { headers, cache: 'no-store' });
          if (seq !== this._seq) return;
          if (res.status === 200) {
            this._etag = res.headers.get('ETag');
            this._value = await res.json();
            this._render();
          } else if (res.status === 404) {
            this._value = null;
            this._render();
          }
        } catch (e) { /* offline or the host is down: keep what is shown */ }
        const have = this._value ? this._value.version : -1;
        if (minVersion == null || have >= minVersion) return;
        await new Promise(r => setTimeout(r, 250));
      }
    }

    _render() {
      const root = this._root;
      const value = this._value;
      if (value) this.setAttribute('data-version', value.version); else this.removeAttribute('data-version');
      if (!this._shown()) {
        this.setAttribute('data-empty', '');
        root.replaceChildren(this._style);
        return;
      }
      const addOns = value.addOns.slice(0, MAX);
      const money = (amount, currency) => {
        try { return new Intl.NumberFormat(document.documentElement.lang || undefined, { style: 'currency', currency }).format(amount); }
        catch (e) { return `${currency} ${Number(amount).toFixed(2)}`; }
      };
      const el = (tag, cls, text) => { const n = document.createElement(tag); if (cls) n.className = cls; if (text != null) n.textContent = text; return n; };
      const section = el('section');
      section.setAttribute('aria-labelledby', 'h');
      const h = el('h2', null, this.getAttribute('heading') || 'Goes well with your cart');
      h.id = 'h';
      h.tabIndex = -1;
      const list = el('ul');
      for (const a of addOns) {
        const li = el('li');
        li.dataset.sku = a.sku;
        const price = money(a.price, a.currency || value.currency || 'GBP');
        const button = el('button', null, 'Add');
        button.type = 'button';
        button.setAttribute('aria-label', `Add ${a.title}, ${price}, to your cart`);
        button.addEventListener('click', () => this._add(a, button, a.currency || value.currency));
        const variant = a.variantId && a.variantId !== a.sku ? `Variant ${a.variantId}` : 'One variant';
        li.append(el('span', 't', a.title), el('span', 'p', price), el('span', 'v', `${variant}${a.variantReason ? ` (${a.variantReason})` : ''}`), el('span', 'r', a.reason), button);
        list.append(li);
      }
      const status = el('p', 's');
      status.setAttribute('role', 'status');
      status.textContent = this._status || '';
      section.append(h, list, status);
      root.replaceChildren(this._style, section);
      this.removeAttribute('data-empty');
      this._impression(value, addOns.map(a => a.sku));
      this.dispatchEvent(new CustomEvent('cart-cross-sell:rendered', { bubbles: true, composed: true, detail: { version: value.version, skus: addOns.map(a => a.sku) } }));
    }

    // Once per cart and value version, also across reloads of the page (sessionStorage).
    _impression(value, skus) {
      const key = `cart-cross-sell:${value.cartId}:${value.version}`;
      try { if (sessionStorage.getItem(key)) return; sessionStorage.setItem(key, '1'); } catch (e) {
        this._seen = this._seen || new Set();
        if (this._seen.has(key)) return;
        this._seen.add(key);
      }
      // The session the adds go to (below), so the outcomes join both; the model that ranked, else the heuristic's strategy.
      const body = { cartId: value.cartId, valueVersion: value.version, skus, modelVersion: value.modelVersion || value.strategy || 'unknown', sessionId: this.getAttribute('session-id') || this._cart, visitorId: this.getAttribute('visitor-id') || undefined };
      fetch(`${this._base}/v1/impressions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), keepalive: true }).catch(() => {});
    }

    async _add(addOn, button, currency) {
      button.disabled = true;
      const body = Object.assign({}, addOn.addToCart, {
        unitPrice: addOn.price, currency, sessionId: this.getAttribute('session-id') || this._cart, visitorId: this.getAttribute('visitor-id') || undefined,
      });
      try {
        const res = await fetch(`${this._base}/v1/carts/${encodeURIComponent(this._cart)}/items`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        if (!res.ok) throw new Error(`add failed: ${res.status}`);
        const added = await res.json();
        this._status = `Added ${addOn.title} to your cart`;
        this.dispatchEvent(new CustomEvent('cart-cross-sell:added', { bubbles: true, composed: true, detail: { sku: addOn.sku, variantId: addOn.addToCart.variantId, valueVersion: added.valueVersion } }));
        await this.refresh(added.valueVersion);
        const heading = this._root.getElementById('h');
        if (heading) heading.focus(); // the pressed button is gone: keep keyboard users in the module
      } catch (e) {
        this._status = `Could not add ${addOn.title}; please try again`;
        button.disabled = false;
        const s = this._root.querySelector('[role=status]');
        if (s) s.textContent = this._status;
      }
    }
  }

  if (!customElements.get('cart-cross-sell')) customElements.define('cart-cross-sell', CartCrossSell);
})();
