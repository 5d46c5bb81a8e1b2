//! Figures (PNG, via plotters): the cluster map and shared drawing helpers.
//!
//! - [`ellipse`]: k-sigma confidence ellipses of 2D Gaussians (pure geometry,
//!   reusable for posterior maps);
//! - [`cluster_map`]: map view of catalog clusters.
//!
//! Every figure is written through [`crate::io::write_atomic_path`].

pub mod cluster_map;
pub mod ellipse;
pub mod font;
pub mod posterior_map;
pub mod sections;
pub mod trace;

use plotters::style::RGBColor;

/// Why a figure could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// An ellipse could not be computed.
    #[error(transparent)]
    Ellipse(#[from] ellipse::EllipseError),
    /// The inputs are inconsistent (e.g. labels and events differ in length).
    #[error("plot input: {0}")]
    BadInput(String),
    /// Drawing or writing the file failed.
    #[error(transparent)]
    Write(#[from] crate::io::AtomicWriteError),
}

/// Qualitative palette for categories (the "Tableau 10" colours, matplotlib's
/// default cycle): colour of category `i`, cycling after 10.
pub fn category_color(i: usize) -> RGBColor {
    const P: [(u8, u8, u8); 10] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ];
    let (r, g, b) = P[i % P.len()];
    RGBColor(r, g, b)
}

/// `117.600° W`-style label of a longitude (degrees east).
pub fn format_lon(lon_deg: f64) -> String {
    format!(
        "{:.3}° {}",
        lon_deg.abs(),
        if lon_deg < 0.0 { "W" } else { "E" }
    )
}

/// `35.700° N`-style label of a latitude (degrees north).
pub fn format_lat(lat_deg: f64) -> String {
    format!(
        "{:.3}° {}",
        lat_deg.abs(),
        if lat_deg < 0.0 { "S" } else { "N" }
    )
}
