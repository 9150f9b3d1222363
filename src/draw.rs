//! Drawing from the view model, with no Yew and no browser types: every function is generic
//! over plotters' `DrawingBackend`, so the page draws to a canvas and tests draw to SVG.

pub mod chart;
pub mod topology;
