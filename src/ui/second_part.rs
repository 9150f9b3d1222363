//! The page's code comes in two parts (see `tools/wasm-split`): the first holds what the page
//! runs when it opens; the second holds the rest (most of the SQL store, the mapping layer and
//! the migration engine). The build names the second part in a `<meta name="migrascope-second-part">`
//! tag. [`start`], called first thing, fetches and compiles it in the background once the page
//! has shown itself; the
//! first call into it instantiates it, synchronously, fetching it right then if the background
//! fetch has not finished. In a build that was not split (tests) there is no tag and nothing to do.
//!
//! If the second part cannot be loaded, the page says so with the same overlay as a panic.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
let exportsOfFirst = null, url = null, compiled = null, loaded = false;

export function migrascopeSecondPartStart(exports) {
  const meta = document.querySelector('meta[name="migrascope-second-part"]');
  if (!meta || url) return;
  exportsOfFirst = exports;
  url = new URL(meta.content, document.baseURI).href;
  setTimeout(() => {
    fetch(url)
      .then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r.arrayBuffer(); })
      .then((bytes) => WebAssembly.compile(bytes))
      .then((m) => { compiled = compiled || m; })
      .catch(() => { /* the first call fetches it again and reports what fails */ });
  }, 0);
}

function fail(why) {
  const msg = `migrascope could not load the second part of its code (${url}): ${why}`;
  console.error(msg);
  if (!document.getElementById('panic-overlay')) {
    const overlay = document.createElement('div');
    overlay.id = 'panic-overlay';
    overlay.setAttribute('role', 'alertdialog');
    const card = document.createElement('div');
    card.className = 'panic-card';
    const title = document.createElement('h2');
    title.textContent = 'Part of the page did not load';
    const why = document.createElement('p');
    why.textContent = 'The page needs it for the SQL store, migrations and the Schema and Data tabs. Check the connection, then reload.';
    const detail = document.createElement('pre');
    detail.textContent = msg;
    const button = document.createElement('button');
    button.textContent = 'Reload the page';
    button.onclick = () => location.reload();
    card.append(title, why, detail, button);
    overlay.append(card);
    document.body.append(overlay);
  }
  throw new Error(msg);
}

export function migrascopeSecondPartLoad() {
  if (loaded) return;
  if (!url) {
    if (!document.querySelector('meta[name="migrascope-second-part"]')) return;
    return fail('it was needed before the page started');
  }
  if (!compiled) {
    let bytes;
    try {
      const xhr = new XMLHttpRequest();
      xhr.open('GET', url, false);
      xhr.overrideMimeType('text/plain; charset=x-user-defined');
      xhr.send();
      if (xhr.status !== 200) return fail(`HTTP ${xhr.status}`);
      const text = xhr.responseText;
      bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
      compiled = new WebAssembly.Module(bytes);
    } catch (e) {
      return fail(String(e));
    }
  }
  try {
    new WebAssembly.Instance(compiled, { p: exportsOfFirst });
  } catch (e) {
    return fail(String(e));
  }
  loaded = true;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = migrascopeSecondPartStart)]
    fn second_part_start(exports: JsValue);
    #[wasm_bindgen(js_name = migrascopeSecondPartLoad)]
    fn second_part_load();
}

/// Begin fetching the second part in the background (call once, when the app starts).
pub fn start() {
    second_part_start(wasm_bindgen::exports());
}

/// Make sure the second part is in: used before work that needs it, so its load happens
/// at a calm moment instead of deep inside the first call that needs it.
pub fn load() {
    second_part_load();
}
