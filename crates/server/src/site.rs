//! How people reach this server: its public URL and the reverse proxies in front of it,
//! and what follows for a request — who the client is, whether it came over https, and
//! whether an `Origin` is this site's. `X-Forwarded-For` and `X-Forwarded-Proto` are
//! believed only when the peer is a configured trusted proxy: anyone else could write them.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header;
use ipnet::IpNet;
use url::Url;

#[derive(Debug, Clone, Default)]
pub struct Site {
    /// `serve --public-url`: https here turns on Secure cookies and HSTS, and its origin is
    /// where sign-in forms may be posted from.
    pub public_url: Option<Url>,
    /// `serve --trusted-proxy`: the proxies whose forwarded headers are believed.
    pub trusted_proxies: Vec<IpNet>,
}

/// Parses `--public-url`: an http or https URL with a host.
pub fn parse_public_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|e| format!("`{s}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("`{s}` is not an http:// or https:// URL with a host"));
    }
    Ok(url)
}

/// Parses one `--trusted-proxy`: an address (`10.0.0.5`) or a network (`10.0.0.0/8`).
pub fn parse_trusted_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{s}` is neither an IP address nor a network like 10.0.0.0/8"))
}

impl Site {
    fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// The peer, if it is a trusted proxy.
    fn trusted_peer(&self, req: &HttpRequest) -> bool {
        req.peer_addr().is_some_and(|peer| self.is_trusted(peer.ip()))
    }

    /// Where a request comes from: the peer, or behind trusted proxies the right-most
    /// `X-Forwarded-For` address that is not itself a trusted proxy (each proxy appends
    /// the address it was reached from, so addresses further left are the client's word).
    pub fn client_address(&self, req: &HttpRequest) -> String {
        let Some(peer) = req.peer_addr().map(|a| a.ip().to_canonical()) else { return "unknown".into() };
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .collect();
        self.client_behind(peer, &forwarded)
    }

    fn client_behind(&self, peer: IpAddr, forwarded: &[&str]) -> String {
        let mut client = peer;
        for entry in forwarded.iter().rev() {
            if !self.is_trusted(client) {
                break;
            }
            match parse_forwarded(entry) {
                Some(ip) => client = ip,
                // A trusted proxy passed on something that is no address: key on it as it is.
                None => return (*entry).to_owned(),
            }
        }
        client.to_string()
    }

    /// Did the request reach us over https: the public URL says so, or a trusted proxy does.
    pub fn is_https(&self, req: &HttpRequest) -> bool {
        if self.public_url.as_ref().is_some_and(|u| u.scheme() == "https") {
            return true;
        }
        let proto = req.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok());
        // A proxy chain may list several; the last was set by the proxy nearest to us.
        let nearest = proto.and_then(|p| p.rsplit(',').next()).map(str::trim);
        nearest.is_some_and(|p| p.eq_ignore_ascii_case("https")) && self.trusted_peer(req)
    }

    /// Is `origin` (an `Origin` header) this site: the public URL's origin, or the host the
    /// request was sent to (the `Host` header, which a page on another site cannot set).
    pub fn is_own_origin(&self, origin: &str, req: &HttpRequest) -> bool {
        if self.public_url.as_ref().is_some_and(|u| u.origin().ascii_serialization() == origin) {
            return true;
        }
        let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok());
        match (origin.split_once("://"), host) {
            (Some((scheme, authority)), Some(host)) => {
                matches!(scheme, "http" | "https") && authority.eq_ignore_ascii_case(host)
            }
            _ => false,
        }
    }
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    let ip = entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(proxies: &[&str]) -> Site {
        Site { public_url: None, trusted_proxies: proxies.iter().map(|p| parse_trusted_proxy(p).unwrap()).collect() }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_rightmost_address_that_is_not_a_trusted_proxy() {
        let behind = site(&["10.0.0.1", "172.16.0.0/12"]);
        let cases: [(&str, &[&str], &str); 7] = [
            ("10.0.0.1", &["203.0.113.9"], "203.0.113.9"),
            ("10.0.0.1", &["6.6.6.6", "203.0.113.9"], "203.0.113.9"),
            ("10.0.0.1", &["6.6.6.6", "203.0.113.9", "172.17.0.3"], "203.0.113.9"),
            ("10.0.0.1", &["203.0.113.9:51234"], "203.0.113.9"),
            ("10.0.0.1", &["[2001:db8::7]:443"], "2001:db8::7"),
            ("10.0.0.1", &[], "10.0.0.1"),
            ("10.0.0.1", &["not-an-address"], "not-an-address"),
        ];
        for (peer, forwarded, client) in cases {
            assert_eq!(behind.client_behind(ip(peer), forwarded), client, "{forwarded:?}");
        }
        // Forwarded addresses from anyone else are not believed.
        assert_eq!(behind.client_behind(ip("198.51.100.4"), &["203.0.113.9"]), "198.51.100.4");
        assert_eq!(site(&[]).client_behind(ip("127.0.0.1"), &["203.0.113.9"]), "127.0.0.1");
        // IPv4 peers on a dual-stack socket arrive as IPv4-mapped IPv6 addresses.
        assert_eq!(behind.client_behind(ip("::ffff:10.0.0.1"), &["203.0.113.9"]), "203.0.113.9");
    }

    #[test]
    fn settings_are_parsed_with_clear_errors() {
        assert!(parse_trusted_proxy("10.0.0.0/8").is_ok());
        assert!(parse_trusted_proxy(" ::1 ").is_ok());
        assert!(parse_trusted_proxy("10.0.0.0/33").is_err());
        assert!(parse_trusted_proxy("proxy.internal").unwrap_err().contains("proxy.internal"));
        assert!(parse_public_url("https://kb.example.com").is_ok());
        assert!(parse_public_url("kb.example.com").is_err());
        assert!(parse_public_url("ftp://kb.example.com").is_err());
    }
}
