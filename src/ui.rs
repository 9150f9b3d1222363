//! Yew components (wasm32 only).
