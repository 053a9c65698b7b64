//! Who is calling, from where: the client's address (the TCP peer, or what a configured trusted
//! proxy says it forwarded), user agent, request id, app installation id and language.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use ipnet::IpNet;

use super::AppState;
use super::middleware::RequestId;
use crate::identity::Client;

pub fn client_of(parts: &Parts, state: &AppState) -> Client {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_canonical());
    let ip = peer.map(|p| client_ip(p, &parts.headers, &state.config.trusted_proxies).to_string()).unwrap_or_default();
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let device = parts
        .headers
        .get("x-device-id")
        .and_then(|v| v.to_str().ok())
        .filter(|d| {
            !d.is_empty() && d.len() <= 64 && d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned);
    Client { ip, user_agent, request_id, device, locale: locale_of(&parts.headers).to_owned() }
}

/// The client's address. Forwarding headers are believed only from a trusted proxy, and only as
/// far back as the chain of trusted proxies goes: the right-most address not of a trusted proxy
/// is the client (anything left of it could have been written by the client itself).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut hops = forwarded_for(headers);
    while let Some(hop) = hops.pop() {
        if !is_trusted(&hop) {
            return hop;
        }
    }
    peer
}

/// The addresses of `Forwarded: for=…` (RFC 7239), or else `X-Forwarded-For`, left to right.
/// Any unparsable element ends the list: a chain that cannot be read is not believed.
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name| headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    let forwarded = values(header::FORWARDED);
    let elements: Vec<String> = if !forwarded.is_empty() {
        forwarded
            .split(',')
            .filter_map(|el| {
                el.split(';').find_map(|kv| {
                    let (k, v) = kv.trim().split_once('=')?;
                    k.eq_ignore_ascii_case("for").then(|| v.trim_matches('"').to_owned())
                })
            })
            .collect()
    } else {
        values(axum::http::HeaderName::from_static("x-forwarded-for")).split(',').map(|s| s.trim().to_owned()).collect()
    };
    let mut out = Vec::new();
    for el in elements.iter().filter(|e| !e.is_empty()) {
        match parse_hop(el) {
            Some(ip) => out.push(ip),
            None => return Vec::new(),
        }
    }
    out
}

/// `192.0.2.1`, `192.0.2.1:443`, `[2001:db8::1]`, `[2001:db8::1]:443` or `2001:db8::1`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip().to_canonical());
    }
    s.strip_prefix('[')?.split(']').next()?.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The language of a request: `ja` or `en` from `Accept-Language` (highest weight wins),
/// Japanese when nothing says otherwise (the first users are in Japan).
pub fn locale_of(headers: &HeaderMap) -> &'static str {
    let Some(value) = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
        return "ja";
    };
    let mut best: Option<(f32, &'static str)> = None;
    for part in value.split(',') {
        let mut it = part.trim().split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
        let lang = if tag == "ja" || tag.starts_with("ja-") {
            "ja"
        } else if tag == "en" || tag.starts_with("en-") {
            "en"
        } else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map_or("ja", |(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        let h = headers(&[("x-forwarded-for", "203.0.113.9, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(client_ip(peer, &h, &trusted).to_string(), "198.51.100.7", "right-most untrusted hop");
        let stranger: IpAddr = "192.0.2.50".parse().unwrap();
        assert_eq!(client_ip(stranger, &h, &trusted), stranger, "an untrusted peer's header is ignored");
        assert_eq!(client_ip(peer, &h, &[]), peer, "no trusted proxies: the peer");
        let f = headers(&[("forwarded", "for=192.0.2.60;proto=https, for=\"[2001:db8::1]:4711\"")]);
        assert_eq!(client_ip(peer, &f, &trusted).to_string(), "2001:db8::1");
        let junk = headers(&[("x-forwarded-for", "203.0.113.9, not-an-address")]);
        assert_eq!(client_ip(peer, &junk, &trusted), peer, "an unreadable chain is not believed");
    }

    #[test]
    fn language_follows_accept_language_with_japanese_by_default() {
        assert_eq!(locale_of(&HeaderMap::new()), "ja");
        assert_eq!(locale_of(&headers(&[("accept-language", "en-US,en;q=0.9")])), "en");
        assert_eq!(locale_of(&headers(&[("accept-language", "fr, en;q=0.5, ja;q=0.8")])), "ja");
        assert_eq!(locale_of(&headers(&[("accept-language", "de")])), "ja");
    }
}
