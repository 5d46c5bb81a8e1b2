//! The one-line text of a failed command's error.

/// The error and its causes joined by `": "` (as anyhow's `{:#}`), leaving
/// out a cause whose text the line already ends with: many errors repeat
/// their source in their own message (`"station X is outside the model
/// domain: point ... is outside"` with that point's error as the source),
/// which `{:#}` would print twice.
///
/// ```
/// let inner = anyhow::anyhow!("point (1, 2, 3) is outside");
/// let e = inner.context("station X: point (1, 2, 3) is outside").context("locating");
/// assert_eq!(eqnemix::cli::error_text::error_text(&e), "locating: station X: point (1, 2, 3) is outside");
/// ```
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.is_empty() {
            text = part;
        } else if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    text
}
