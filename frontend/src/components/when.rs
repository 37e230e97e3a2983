//! Moments in time as a person reads them, in the browser's time zone.

use web_sys::js_sys::{Date, Object, Reflect};
use web_sys::wasm_bindgen::JsValue;

/// A Unix time in seconds as, e.g., `May 12, 2025 at 2:03 PM`.
pub fn readable(unix_seconds: i64) -> String {
    let date = Date::new(&JsValue::from_f64(unix_seconds as f64 * 1000.0));
    let options = Object::new();
    // Setting a property on a fresh plain object cannot fail; if it somehow
    // did, the browser's default format is still readable.
    let _ = Reflect::set(&options, &"dateStyle".into(), &"long".into());
    let _ = Reflect::set(&options, &"timeStyle".into(), &"short".into());
    String::from(date.to_locale_string("en-US", &options))
}
