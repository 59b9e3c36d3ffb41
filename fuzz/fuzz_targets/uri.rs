//! URIs: whatever parses must print canonically and parse back to the same parts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_message::Uri;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(uri) = Uri::parse(text) else {
        return;
    };
    touch(&uri);

    let canonical = uri.to_canonical_string();
    let again = match Uri::parse(&canonical) {
        Ok(u) => u,
        Err(e) => panic!("canonical form {canonical:?} of {text:?} does not parse: {e}"),
    };
    assert_eq!(
        again.scheme(),
        uri.scheme(),
        "scheme of {text:?} -> {canonical:?}"
    );
    assert_eq!(
        again.user(),
        uri.user(),
        "user of {text:?} -> {canonical:?}"
    );
    assert_eq!(
        again.password(),
        uri.password(),
        "password of {text:?} -> {canonical:?}"
    );
    assert_eq!(
        again.host(),
        uri.host(),
        "host of {text:?} -> {canonical:?}"
    );
    assert_eq!(
        again.port(),
        uri.port(),
        "port of {text:?} -> {canonical:?}"
    );
    assert!(
        again.params().iter().eq(uri.params().iter()),
        "params of {text:?} -> {canonical:?}: {:?} != {:?}",
        again.params().iter().collect::<Vec<_>>(),
        uri.params().iter().collect::<Vec<_>>(),
    );
    assert_eq!(
        again.headers(),
        uri.headers(),
        "headers of {text:?} -> {canonical:?}"
    );
    if uri.scheme() == sip_message::Scheme::Other {
        // Opaque URIs keep their text; only the scheme's case may change.
        assert!(again.as_str().eq_ignore_ascii_case(uri.as_str()));
    }
    // The canonical form is a fixed point.
    assert_eq!(
        again.to_canonical_string(),
        canonical,
        "canonical form of {text:?}"
    );
});

/// Calls the accessors that compute something, so that they run on every accepted input.
fn touch(uri: &Uri<'_>) {
    let _ = uri.user_unescaped();
    let _ = uri.host_str();
    let _ = uri.is_sip();
    let _ = uri.to_string();
    let params = uri.params();
    let _ = params.is_empty();
    for (name, _) in params.iter() {
        let _ = params.get(name);
        let _ = params.get_unquoted(name);
    }
    if let Some(host) = uri.host() {
        let _ = host.to_string();
    }
}
