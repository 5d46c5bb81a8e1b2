//! The bundled font: every figure draws its text with DejaVu Sans compiled
//! into the binary (`assets/fonts/DejaVuSans.ttf`, Bitstream Vera licence
//! in `assets/fonts/DejaVu-LICENSE.txt`, redistribution permitted), so plots
//! look the same everywhere and need no system font or fontconfig.
//!
//! plotters is built with its `ab_glyph` text backend (not `ttf`, which
//! asks the system through font-kit); fonts are looked up by family name in
//! a registry filled by [`ensure_fonts`]. Every plot function calls it
//! before drawing.

use plotters::style::FontStyle;
use std::sync::OnceLock;

/// DejaVu Sans (regular), the only face bundled.
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Family names the bundled face is registered under: plotters' generic
/// families, so `("sans-serif", 14)` and friends all resolve to it.
pub const FAMILIES: [&str; 4] = ["sans-serif", "serif", "monospace", "DejaVu Sans"];

/// Register the bundled font with plotters once per process (thread-safe).
/// Returns whether registration succeeded (it only fails if the bundled
/// file were not a valid font, which the tests rule out).
pub fn ensure_fonts() -> bool {
    static DONE: OnceLock<bool> = OnceLock::new();
    *DONE.get_or_init(|| {
        FAMILIES.iter().all(|name| {
            [FontStyle::Normal, FontStyle::Bold, FontStyle::Italic, FontStyle::Oblique]
                .into_iter()
                .all(|style| plotters::style::register_font(name, style, DEJAVU_SANS).is_ok())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    #[test]
    fn bundled_font_registers_and_measures_text() {
        assert!(ensure_fonts());
        let font: FontDesc = ("sans-serif", 20.0).into();
        let (w, h) = font.box_size("East (km)").unwrap();
        // 9 glyphs at 20 px: DejaVu Sans averages ~0.55 em per glyph.
        assert!(w > 60 && w < 160, "width {w}");
        assert!(h > 10 && h < 40, "height {h}");
    }
}
