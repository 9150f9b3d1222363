//! The page's code comes in two parts (see `tools/wasm-split`): the first holds what the page
//! runs when it opens; the second holds the rest (most of the SQL store, the mapping layer and
//! the migration engine). The build names the second part in a `<meta name="migrascope-second-part">`
//! tag. The script below notes the first part's exports as it is instantiated and starts
//! fetching and compiling the second part in the background; the first call into the second
//! part (a stub in the first part calls [`load`]'s import) instantiates it, synchronously,
//! fetching it right then if the background fetch has not finished. In a build that was not
//! split (tests) there is no tag and nothing to do.
//!
//! If the second part cannot be loaded, the page says so with the same overlay as a panic.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
// The first part's exports, which the second part imports. Caught as the first part is
// instantiated (this module is evaluated before that), so they are known before any of its
// code runs: whatever calls into the second part, and whenever, can load it.
let exportsOfFirst = null, url = null, compiled = null, loaded = false;
for (const name of ['instantiateStreaming', 'instantiate']) {
  const original = WebAssembly[name];
  if (typeof original !== 'function') continue;
  WebAssembly[name] = async function (...args) {
    const result = await original.apply(this, args);
    const instance = result instanceof WebAssembly.Instance ? result : result.instance;
    if (!exportsOfFirst && instance && instance.exports.__s_t0) {
      exportsOfFirst = instance.exports;
      prefetch();
    }
    return result;
  };
}

function secondPartUrl() {
  const meta = document.querySelector('meta[name="migrascope-second-part"]');
  return meta ? new URL(meta.content, document.baseURI).href : null;
}

// Fetch and compile the second part in the background while the page starts.
function prefetch() {
  url = secondPartUrl();
  if (!url) return;
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
  if (!exportsOfFirst) {
    // Not a split build (tests): there is nothing to load.
    if (!secondPartUrl()) return;
    return fail('the first part was not seen starting');
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
    #[wasm_bindgen(js_name = migrascopeSecondPartLoad)]
    fn second_part_load();
}

/// Make sure the second part is in: used before work that needs it, so its load happens
/// at a calm moment instead of deep inside the first call that needs it.
pub fn load() {
    second_part_load();
}
