//! libpcap calls the pcap crate (2.5) does not wrap: the library's version string and time
//! stamp types (its `tstamp_type` setter drops libpcap's answer, and it cannot list them).

use std::ffi::{c_char, c_int, CStr, CString};

use anyhow::{anyhow, bail, Result};
use pcap::{Capture, State};

/// libpcap's `pcap_t`, only ever behind a pointer.
type RawPcap = libc::c_void;

/// libpcap's status codes that concern time stamp types (pcap/pcap.h).
const PCAP_ERROR_CANTSET_TSTAMP_TYPE: c_int = -10;
const PCAP_WARNING_TSTAMP_TYPE_NOTSUP: c_int = 3;

#[link(name = "pcap")]
extern "C" {
    fn pcap_lib_version() -> *const c_char;
    fn pcap_list_tstamp_types(p: *mut RawPcap, types: *mut *mut c_int) -> c_int;
    fn pcap_free_tstamp_types(types: *mut c_int);
    fn pcap_tstamp_type_name_to_val(name: *const c_char) -> c_int;
    fn pcap_tstamp_type_val_to_name(v: c_int) -> *const c_char;
    fn pcap_tstamp_type_val_to_description(v: c_int) -> *const c_char;
    fn pcap_set_tstamp_type(p: *mut RawPcap, t: c_int) -> c_int;
    fn pcap_statustostr(status: c_int) -> *const c_char;
    fn pcap_geterr(p: *mut RawPcap) -> *mut c_char;
}

/// A string libpcap owns (static tables, or the handle's error buffer), copied.
fn text(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: libpcap returns NUL-terminated strings that live at least until the next call
    // on the same handle; this copies it at once.
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// `libpcap version 1.10.3 (with TPACKET_V3)`.
pub fn lib_version() -> String {
    // SAFETY: a static string.
    text(unsafe { pcap_lib_version() }).unwrap_or_else(|| "libpcap version unknown".into())
}

/// A time stamp type's number from its name (`host`, `adapter_unsynced`, ...), as `-j` takes it.
pub fn tstamp_type_of_name(name: &str) -> Option<i32> {
    let c = CString::new(name).ok()?;
    // SAFETY: `c` is a valid C string for the duration of the call.
    let v = unsafe { pcap_tstamp_type_name_to_val(c.as_ptr()) };
    (v >= 0).then_some(v)
}

/// `host (Host)`, tcpdump's `-J` line for one type (without its indent).
pub fn tstamp_type_line(v: i32) -> String {
    // SAFETY: both return static strings or NULL.
    let (name, desc) = unsafe {
        (
            text(pcap_tstamp_type_val_to_name(v)),
            text(pcap_tstamp_type_val_to_description(v)),
        )
    };
    match (name, desc) {
        (Some(n), Some(d)) => format!("{n} ({d})"),
        (Some(n), None) => n,
        _ => v.to_string(),
    }
}

fn tstamp_name(v: i32) -> String {
    // SAFETY: a static string or NULL.
    text(unsafe { pcap_tstamp_type_val_to_name(v) }).unwrap_or_else(|| v.to_string())
}

/// The time stamp types `cap` (created, not yet activated) offers; empty when it cannot be set.
pub fn list_tstamp_types<T: State + ?Sized>(cap: &Capture<T>) -> Result<Vec<i32>> {
    let p = cap.as_ptr().cast::<RawPcap>();
    let mut types: *mut c_int = std::ptr::null_mut();
    // SAFETY: `p` is a live handle owned by `cap`; libpcap allocates `types`, freed below.
    let n = unsafe { pcap_list_tstamp_types(p, &mut types) };
    if n < 0 {
        // SAFETY: the handle's error buffer, copied at once.
        bail!("{}", text(unsafe { pcap_geterr(p) }).unwrap_or_default());
    }
    let mut out = Vec::new();
    if !types.is_null() {
        // SAFETY: libpcap wrote `n` entries.
        out.extend_from_slice(unsafe { std::slice::from_raw_parts(types, n as usize) });
        // SAFETY: allocated by pcap_list_tstamp_types.
        unsafe { pcap_free_tstamp_types(types) };
    }
    Ok(out)
}

/// Asks for time stamp type `v` on a handle not yet activated. Returns a warning when libpcap
/// will use another type (as tcpdump warns), an error when the device cannot set any.
pub fn set_tstamp_type<T: State + ?Sized>(
    cap: &Capture<T>,
    v: i32,
    device: &str,
) -> Result<Option<String>> {
    // SAFETY: `cap` owns the live handle.
    let status = unsafe { pcap_set_tstamp_type(cap.as_ptr().cast::<RawPcap>(), v) };
    match status {
        0 => Ok(None),
        PCAP_ERROR_CANTSET_TSTAMP_TYPE => Err(anyhow!("{device}: can't set time stamp type")),
        PCAP_WARNING_TSTAMP_TYPE_NOTSUP => Ok(Some(format!(
            "when trying to set time stamp type '{}' on {device}: {}",
            tstamp_name(v),
            // SAFETY: a static string.
            text(unsafe { pcap_statustostr(status) }).unwrap_or_default()
        ))),
        s if s < 0 => Err(anyhow!(
            "{device}: cannot set time stamp type '{}': {}",
            tstamp_name(v),
            // SAFETY: a static string.
            text(unsafe { pcap_statustostr(s) }).unwrap_or_default()
        )),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_libpcap() {
        assert!(
            lib_version().starts_with("libpcap version "),
            "{}",
            lib_version()
        );
    }

    #[test]
    fn time_stamp_type_names() {
        assert_eq!(tstamp_type_of_name("host"), Some(0));
        assert_eq!(tstamp_type_of_name("adapter_unsynced"), Some(4));
        assert_eq!(tstamp_type_of_name("nope"), None);
        assert_eq!(tstamp_type_line(0), "host (Host)");
    }
}
