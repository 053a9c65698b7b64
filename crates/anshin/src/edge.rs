//! What every client of a system at Anshin's edge (the bank, the card network, the eKYC
//! provider) checks before it sends anything: where it sends, and the key it sends. One set of
//! rules, so no client is laxer than another.

use reqwest::header::HeaderValue;

/// Plain HTTP only to loopback: the key (and card numbers, bank details or identity documents)
/// travel in every request, and this build has no TLS client (reqwest without a TLS stack), so a
/// system elsewhere cannot be reached safely. No credentials, query or fragment either. `what`
/// names the system in the error ("bank", "card network", "eKYC").
pub fn loopback_http_url(raw: &str, what: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(raw).map_err(|_| format!("the {what} URL is not a URL"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() != "http" || !loopback {
        return Err(format!(
            "the {what} URL must be http:// on loopback (the simulator); this build has no TLS client"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
        return Err(format!("the {what} URL takes no credentials, query or fragment"));
    }
    Ok(url)
}

/// `Bearer <key>` as a header that no `Debug` or log shows: at least `min_chars` visible ASCII
/// characters.
pub fn bearer_header(key: &str, what: &str, min_chars: usize) -> Result<HeaderValue, String> {
    if key.chars().count() < min_chars.max(1) || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("the {what} API key must be at least {} visible ASCII characters", min_chars.max(1)));
    }
    let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
        .map_err(|_| format!("the {what} API key cannot be sent in a header"))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_on_loopback_is_accepted() {
        for ok in ["http://127.0.0.1:9100", "http://localhost:9100/", "http://[::1]:9100"] {
            assert!(loopback_http_url(ok, "bank").is_ok(), "{ok}");
        }
        for bad in ["https://bank.example", "http://192.0.2.1:9100", "http://u:p@127.0.0.1", "ftp://127.0.0.1", "x"] {
            assert!(loopback_http_url(bad, "bank").is_err(), "{bad}");
        }
        assert!(bearer_header("short", "eKYC", 16).is_err());
        assert!(bearer_header("a key with spaces in it", "bank", 1).is_err());
        let header = bearer_header("bank-key-0123456789", "bank", 1).unwrap();
        assert!(header.is_sensitive());
    }
}
