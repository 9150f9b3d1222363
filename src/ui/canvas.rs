//! Canvas plumbing: size a canvas for the device pixel ratio and hand plotters a backend.
//! Drawing itself lives in `crate::draw` and is a function of the view model.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

/// Match the canvas's backing store to its CSS size times `devicePixelRatio`, so lines and text
/// are sharp on HiDPI screens. Returns the ratio used, or None when the canvas is not laid out.
pub fn fit_to_dpr(canvas: &HtmlCanvasElement) -> Option<f64> {
    let dpr = web_sys::window()?.device_pixel_ratio().clamp(1.0, 4.0);
    let (cw, ch) = (canvas.client_width(), canvas.client_height());
    if cw <= 0 || ch <= 0 {
        return None;
    }
    let (w, h) = (
        (f64::from(cw) * dpr).round() as u32,
        (f64::from(ch) * dpr).round() as u32,
    );
    if canvas.width() != w {
        canvas.set_width(w);
    }
    if canvas.height() != h {
        canvas.set_height(h);
    }
    Some(dpr)
}

/// Draw on `canvas` with `f(area, dpr)`; drawing errors are logged, never fatal.
pub fn draw_on<F>(canvas: &HtmlCanvasElement, f: F)
where
    F: FnOnce(
        &DrawingArea<CanvasBackend, plotters::coord::Shift>,
        f64,
    )
        -> Result<(), DrawingAreaErrorKind<<CanvasBackend as DrawingBackend>::ErrorType>>,
{
    let Some(dpr) = fit_to_dpr(canvas) else {
        return;
    };
    let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else {
        return;
    };
    let area = backend.into_drawing_area();
    if let Err(e) = f(&area, dpr).and_then(|_| area.present()) {
        web_sys::console::warn_1(&format!("drawing failed: {e:?}").into());
    }
}

/// The mouse handlers of a topology canvas.
#[derive(Clone, PartialEq)]
pub struct CanvasEvents {
    pub click: yew::Callback<web_sys::MouseEvent>,
    pub menu: yew::Callback<web_sys::MouseEvent>,
    pub hover: yew::Callback<web_sys::MouseEvent>,
    pub down: yew::Callback<web_sys::MouseEvent>,
    pub up: yew::Callback<web_sys::MouseEvent>,
}

/// A node being dragged on a topology canvas (lives across renders).
#[derive(Clone, Copy, Debug, Default)]
pub struct Drag {
    /// The node pressed and where (CSS pixels in the canvas).
    pub start: Option<(crate::sim::NodeId, f64, f64)>,
    /// The pointer went further than a node's radius from where it was pressed.
    pub moved: bool,
    /// The click that ends a drag is not a click on a link.
    pub swallow_click: bool,
}
